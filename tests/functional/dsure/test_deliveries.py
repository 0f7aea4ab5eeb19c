"""提出 and 受領 (API.md): routing by kind, the department's view, the check, receipt and return,
exactly one decision under a burst, and versions and key reissues that bring a delivery back."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain import clock
from chalicelib.domain.errors import Conflict
from chalicelib.domain.principal import Principal
from chalicelib.services import deliveries
from chalicelib.store import guarantees
from tests import journeys, streams
from tests.bursts import burst
from tests.factories import add_version, make_guarantee
from tests.functional.conftest import bearer, body, login

KASAMA = Principal("kasama", "orderer", "08216", "笠間市長", "sid-test")


def _deliver(client, tokens, number: str, payload: dict | None = None, who: str = "contractor"):
    return journeys.post(client, tokens[who], f"/api/guarantees/{number}/deliveries", payload or {})


#: A 前払金保証 and a 契約保証 of one contract (written by the factory: no PDFs to draw).
GUARANTEES = {
    "advance_payment": ("30026-000701M", "Z28YUE4J3Bux"),
    "contract_guarantee": ("30026-000702K", "K39ZVF5K4Cvy"),
}


def _both(client, tokens) -> dict[str, dict]:
    """Both guarantees, each delivered by routing: kind → the delivery (with the guarantee's key)."""
    out = {}
    for kind, (number, key) in GUARANTEES.items():
        make_guarantee(number, kind=kind, auth_key=key)
        resp = _deliver(client, tokens, number, {"orderer_reference": "R8-土木-0001"})
        assert resp.status_code == 201, resp.body
        out[kind] = {**body(resp), "auth_key": key}
    return out


def _dept_token(client, name: str) -> str:
    return login(client, f"kasama-{name}", {"keiyaku": "demo-pass-8", "doboku": "demo-pass-9"}[name])["token"]


def test_delivery_is_routed_by_kind_and_only_the_department_sees_it_with_its_key(client, tokens):
    both = _both(client, tokens)
    advance, contract = both["advance_payment"], both["contract_guarantee"]
    assert (advance["department_id"], advance["department_name"], advance["status"]) == (
        "doboku",
        "土木課",
        "delivered",
    )
    assert contract["department_id"] == "keiyaku"
    doboku = _dept_token(client, "doboku")
    listed = body(client.http.get("/api/orderer/deliveries?status=delivered", headers=bearer(doboku)))["items"]
    assert [i["delivery_id"] for i in listed] == [advance["delivery_id"]]
    assert listed[0]["orderer_reference"] == "R8-土木-0001" and listed[0]["seen"] is False
    assert (
        client.http.get(f"/api/orderer/deliveries/{contract['delivery_id']}", headers=bearer(doboku)).status_code == 404
    )
    mito = client.http.get(f"/api/orderer/deliveries/{advance['delivery_id']}", headers=bearer(tokens["mito"]))
    assert mito.status_code == 404
    opened = client.http.get(f"/api/orderer/deliveries/{advance['delivery_id']}", headers=bearer(doboku))
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    one = body(opened)
    assert one["auth_key"] == advance["auth_key"] and one["verification"]["status"] == "valid" and one["seen"] is True
    everything = body(client.http.get("/api/orderer/deliveries", headers=bearer(tokens["kasama"])))["items"]
    assert len(everything) == 2  # kasama (no department) sees every department's
    views = body(client.http.get(f"/api/guarantees/{advance['number']}/views", headers=bearer(tokens["contractor"])))
    assert [v["orderer_id"] for v in views["items"]] == ["08216"] and views["failed_attempts"]["count"] == 0
    streams.run_events(client)
    sent = {m["to"][0]: m for m in streams.mails(client) if m["subject"] == "電子保証の提出がありました"}
    assert set(sent) == {"doboku@city.example.jp", "keiyaku@city.example.jp"}
    assert all(both[k]["auth_key"] not in m["body"] for k in both for m in sent.values())
    doboku_mail = sent["doboku@city.example.jp"]["body"]  # the house style: its department greeted, the contact block
    assert doboku_mail.splitlines()[0].endswith("土木課 様") and "\n--\n" in doboku_mail and "TEL: " in doboku_mail


def test_delivering_again_is_unchanged_an_unknown_department_is_400_and_paper_is_409(client, tokens):
    g = {"number": make_guarantee("30026-000703M").number}
    first = body(_deliver(client, tokens, g["number"]))
    again = _deliver(client, tokens, g["number"], {"message": "再送"})
    assert again.status_code == 200 and body(again) == first
    bad = _deliver(client, tokens, g["number"], {"department_id": "nosuch"})
    assert bad.status_code == 400 and body(bad)["errors"][0]["field"] == "department_id"
    long = _deliver(client, tokens, g["number"], {"orderer_reference": "x" * 41})
    assert long.status_code == 400 and body(long)["errors"][0]["field"] == "orderer_reference"
    assert _deliver(client, tokens, g["number"], who="other").status_code == 404
    to_main = _deliver(client, tokens, g["number"], {"department_id": "main"})
    assert to_main.status_code == 201 and body(to_main)["department_name"] == "代表"
    make_guarantee("30026-000704M", form="paper")
    make_guarantee("30026-000705M", status="cancelled")
    assert _deliver(client, tokens, "30026-000704M").status_code == 409
    assert _deliver(client, tokens, "30026-000705M").status_code == 409
    departments = body(client.http.get("/api/orderers/08216/departments", headers=bearer(tokens["contractor"])))
    assert {d["id"] for d in departments["items"]} == {"main", "keiyaku", "doboku"}
    assert all("email" not in d for d in departments["items"])


def test_check_shows_findings_and_receive_stores_them_then_the_contractor_sees_it(client, tokens):
    advance = _both(client, tokens)["advance_payment"]
    path = f"/api/orderer/deliveries/{advance['delivery_id']}"
    late = journeys.post(client, tokens["kasama"], f"{path}/check", {"period_end": "2099-01-01"})
    assert body(late)["ok"] is False
    assert [f["code"] for f in body(late)["findings"]] == ["period_end_after_deadline"]
    amounts = journeys.post(client, tokens["kasama"], f"{path}/check", {"contract_amount": 10_000_000})
    assert {f["code"] for f in body(amounts)["findings"]} == {"contract_amount_mismatch", "advance_ratio"}
    ok = journeys.post(client, tokens["kasama"], f"{path}/receive", {"contract_amount": 50_000_000, "version": 1})
    assert ok.status_code == 200, ok.body
    assert body(ok)["check"] == {"ok": True, "findings": []} and body(ok)["received_by"] == "土木課"
    assert journeys.post(client, tokens["kasama"], f"{path}/return", {"reason": "遅い"}).status_code == 409
    seen = body(
        client.http.get(f"/api/guarantees/{advance['number']}/deliveries", headers=bearer(tokens["contractor"]))
    )
    item = seen["items"][0]
    assert (item["status"], item["received_by"], item["check"]["ok"]) == ("received", "土木課", True)
    assert body(client.http.get(path, headers=bearer(tokens["kasama"])))["received_by_login"] == "kasama"
    staff = body(client.http.get(f"/api/staff/guarantees/{advance['number']}", headers=bearer(tokens["staff"])))
    assert [d["status"] for d in staff["deliveries"]] == ["received"]
    streams.run_events(client)
    assert any(m["subject"] == "受領のお知らせ" and m["to"] == ["soumu@example.co.jp"] for m in streams.mails(client))


def test_return_needs_a_reason_and_the_contractor_may_deliver_again(client, tokens):
    contract = _both(client, tokens)["contract_guarantee"]
    path = f"/api/orderer/deliveries/{contract['delivery_id']}"
    empty = journeys.post(client, tokens["kasama"], f"{path}/return", {"reason": "  "})
    assert empty.status_code == 400 and body(empty)["errors"][0]["field"] == "reason"
    returned = journeys.post(client, tokens["kasama"], f"{path}/return", {"reason": "工期末が保証期限より後です"})
    assert returned.status_code == 200
    mine = body(
        client.http.get(
            f"/api/guarantees/{contract['number']}/deliveries/{contract['delivery_id']}",
            headers=bearer(tokens["contractor"]),
        )
    )
    assert (mine["status"], mine["returned_reason"]) == ("returned", "工期末が保証期限より後です")
    again = _deliver(client, tokens, contract["number"], {"message": "修正しました"})
    assert again.status_code == 200 and body(again)["status"] == "delivered" and body(again)["returned_reason"] is None
    streams.run_events(client)
    mails = streams.mails(client)
    assert any("工期末が保証期限より後です" in m["body"] and m["to"] == ["soumu@example.co.jp"] for m in mails)


def _decide(kind: str, delivery_id: str):
    if kind == "receive":
        return deliveries.receive(KASAMA, delivery_id, {})
    return deliveries.return_one(KASAMA, delivery_id, {"reason": "重複"})


def test_twenty_parallel_decisions_exactly_one_wins_the_rest_conflict(client, tokens):
    advance = _both(client, tokens)["advance_payment"]
    outcomes = burst(_decide, [("receive" if i % 2 else "return", advance["delivery_id"]) for i in range(20)])
    wins = [o for o in outcomes if isinstance(o, dict)]
    assert len(wins) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 19, outcomes
    final = body(client.http.get(f"/api/orderer/deliveries/{advance['delivery_id']}", headers=bearer(tokens["kasama"])))
    assert final["status"] == wins[0]["status"]


def test_a_change_brings_a_received_delivery_back_at_the_new_version_and_an_old_decision_is_409(client, tokens):
    advance = _both(client, tokens)["advance_payment"]
    path = f"/api/orderer/deliveries/{advance['delivery_id']}"
    assert journeys.post(client, tokens["kasama"], f"{path}/receive", {}).status_code == 200
    g = guarantees.get(advance["number"])
    lower = replace(g, details={**g.details, "guarantee_amount": 15_000_000})
    version = add_version(lower, 2, "change", issued_at=clock.iso_now(), reason="減額")
    assert streams.deliver(client, streams.event(streams.record(version, 1)))["batchItemFailures"] == []
    assert streams.deliver(client, streams.event(streams.record(version, 2)))["batchItemFailures"] == []  # again
    back = body(client.http.get(path, headers=bearer(tokens["kasama"])))
    assert (back["status"], back["version"], back["latest_event"]) == ("delivered", 2, "change")
    assert back["received_at"] is None and back["check"] is None
    stale = journeys.post(client, tokens["kasama"], f"{path}/receive", {"version": 1})
    assert stale.status_code == 409
    streams.run_events(client)
    changed = [m for m in streams.mails(client) if m["subject"] == "電子保証の変更がありました"]
    assert [m["to"] for m in changed] == [["doboku@city.example.jp"]]
    assert "保証金額: 20,000,000円 → 15,000,000円" in changed[0]["body"]
    assert journeys.post(client, tokens["kasama"], f"{path}/receive", {"version": 2}).status_code == 200


def test_a_key_reissue_brings_the_delivery_back_at_the_same_version(client, tokens):
    contract = _both(client, tokens)["contract_guarantee"]
    path = f"/api/orderer/deliveries/{contract['delivery_id']}"
    assert journeys.post(client, tokens["kasama"], f"{path}/receive", {}).status_code == 200
    approved = journeys.requested_then_approved(client, tokens, journeys.reissue(client, tokens, contract["number"]))
    streams.run_events(client, "key_reissued")
    back = body(client.http.get(path, headers=bearer(tokens["kasama"])))
    assert (back["status"], back["version"], back["latest_event"]) == ("delivered", 1, "key_reissued")
    assert back["auth_key"] == body(approved)["auth_key"] != contract["auth_key"]
    streams.run_events(client)  # the department is told, in the house style, without the new key
    told = [m for m in streams.mails(client) if m["subject"] == "電子保証の変更がありました"]
    assert [m["to"] for m in told] == [["keiyaku@city.example.jp"]] and "認証キーが再発行されました" in told[0]["body"]
    assert back["auth_key"] not in told[0]["body"] and told[0]["body"].splitlines()[0].endswith("契約検査課 様")


def test_a_reservation_is_delivered_to_its_routed_department_and_checked_without_amounts(client, tokens):
    _, issued = journeys.issued_reservation(client, tokens)
    made = _deliver(client, tokens, issued["number"])
    assert made.status_code == 201 and body(made)["department_id"] == "keiyaku"
    path = f"/api/orderer/deliveries/{body(made)['delivery_id']}"
    opened = body(client.http.get(path, headers=bearer(tokens["kasama"])))
    assert opened["kind"] == "contract_reservation" and opened["auth_key"] == issued["auth_key"]
    checked = body(journeys.post(client, tokens["kasama"], f"{path}/check", {"contract_amount": 50_000_000}))
    assert checked == {"ok": True, "findings": []}
    held = body(client.http.get("/api/orderer/guarantees", headers=bearer(tokens["kasama"])))["items"]
    assert [i["number"] for i in held] == [issued["number"]]  # opening it put it in the inbox, as a verification


def _race(kind: str, delivery_id: str, number: str, at: str):
    if kind == "follow":
        return deliveries.follow(number, 2, "change", at)
    return deliveries.receive(KASAMA, delivery_id, {"version": 1})


def test_a_new_version_racing_receipts_always_lands_and_at_most_one_receipt_counts(client, tokens):
    advance = _both(client, tokens)["advance_payment"]
    at = clock.iso_now()
    calls = [("receive", advance["delivery_id"], advance["number"], at) for _ in range(15)]
    outcomes = burst(_race, [*calls[:7], ("follow", advance["delivery_id"], advance["number"], at), *calls[7:]])
    assert outcomes[7] == 1  # the version moved the delivery, whatever came first
    assert sum(isinstance(o, dict) for o in outcomes) <= 1
    assert all(isinstance(o, (dict, int, Conflict)) for o in outcomes), outcomes
    final = body(client.http.get(f"/api/orderer/deliveries/{advance['delivery_id']}", headers=bearer(tokens["kasama"])))
    assert (final["status"], final["version"], final["received_at"]) == ("delivered", 2, None)
