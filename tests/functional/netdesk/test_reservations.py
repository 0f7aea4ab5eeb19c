"""issue 17: 契約保証予約 (入札ボンド) — submit, fee, staff issue/reject, D-Sure, conversion rules and the race."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading

import pytest

from chalicelib.domain import clock
from chalicelib.domain.errors import Conflict
from chalicelib.services import issuance
from chalicelib.store import applications, guarantees, objects, reservations
from tests import dynamodb_calls, tables
from tests.factories import application_body, make_application, reservation_body
from tests.functional.conftest import bearer, body
from tests.journeys import STAFF, apply_citing, issued_reservation, pay_reservation, post, reserve, verify
from tests.pdfs import pdf_text

JSON = {"Content-Type": "application/json"}
FIELD = "contract_guarantee.reservation_number"


def errors_of(resp):
    return [e["field"] for e in body(resp)["errors"]]


# ------------------------------------------------------------------ submit, read, list


def test_submit_read_list_and_fee(client, tokens):
    r = reserve(client, tokens)
    assert r["status"] == "submitted" and r["number"] is None and r["issued_at"] is None and r["form"] == "electronic"
    assert r["bid_amount"] == 48_000_000 and r["project"]["orderer_id"] == "08216"
    assert r["fees"] == {
        "advance_payment": None,
        "contract_guarantee": None,
        "reservation": 5_000,
        "total": 5_000,
        "paid_on": None,
        "waived": None,
    }
    quote = post(
        client, tokens["contractor"], "/api/fees/quote", {"product": "reservation", "body": reservation_body()}
    )
    assert body(quote) == {"advance_payment": None, "contract_guarantee": None, "reservation": 5_000, "total": 5_000}
    assert body(client.http.get(f"/api/reservations/{r['id']}", headers=bearer(tokens["contractor"])))["id"] == r["id"]
    assert client.http.get(f"/api/reservations/{r['id']}", headers=bearer(tokens["other"])).status_code == 404
    listed = body(client.http.get("/api/reservations", headers=bearer(tokens["contractor"])))
    assert [i["id"] for i in listed["items"]] == [r["id"]]
    assert body(client.http.get("/api/reservations", headers=bearer(tokens["other"])))["items"] == []
    queue = body(client.http.get("/api/staff/reservations", headers=bearer(tokens["staff"])))["items"]
    assert [i["id"] for i in queue] == [r["id"]]


def test_a_reservation_notice_goes_only_to_the_contractor_s_own_users(client, tokens):
    """As for an application (issue 15): another organisation's or anyone's address is a 400, nothing stored."""
    before = tables.count("reservations")
    for address in ("someone@example.net", "info@example.com"):
        resp = post(client, tokens["contractor"], "/api/reservations", reservation_body(delivery__email=address))
        assert resp.status_code == 400 and errors_of(resp) == ["delivery.email"], resp.body
    assert tables.count("reservations") == before
    assert reserve(client, tokens)["id"]  # its own address


def test_bad_reservation_bodies_name_every_field(client, tokens):
    b = reservation_body(days_to_bid=-1, bid_amount=0, form="electronic")
    b["project"]["orderer_id"] = "08999"  # not 電子保証対応
    resp = post(client, tokens["contractor"], "/api/reservations", b)
    assert resp.status_code == 400
    assert {"project.bid_date", "bid_amount", "form"} <= set(errors_of(resp))
    assert tables.count("reservations") == 0
    unknown = reservation_body()
    unknown["surprise"] = 1
    assert post(client, tokens["contractor"], "/api/reservations", unknown).status_code == 400


# ------------------------------------------------------------------ staff: issue and reject


def test_issue_needs_the_fee_then_numbers_Y_and_verifies_as_contract_reservation(client, tokens):
    r = reserve(client, tokens)
    unpaid = post(client, tokens["staff"], f"/api/staff/reservations/{r['id']}/issue")
    assert unpaid.status_code == 409 and errors_of(unpaid) == ["fees"]
    assert tables.rows("guarantees") == []
    pay_reservation(client, tokens, r)
    resp = post(client, tokens["staff"], f"/api/staff/reservations/{r['id']}/issue")
    assert resp.status_code == 201, resp.body
    out = body(resp)
    assert re.fullmatch(r"300\d{2}-\d{6}Y", out["number"]) and len(out["auth_key"]) == 12 and out["fee"] == 5_000
    assert post(client, tokens["staff"], f"/api/staff/reservations/{r['id']}/issue").status_code == 409

    read = body(client.http.get(f"/api/reservations/{r['id']}", headers=bearer(tokens["contractor"])))
    assert read["status"] == "issued" and read["number"] == out["number"] and read["issued_at"]
    assert read["fees"]["paid_on"] == clock.today().isoformat()
    # not a guarantee of the contractor's list
    assert body(client.http.get("/api/guarantees", headers=bearer(tokens["contractor"])))["items"] == []

    v = verify(client, tokens, out["number"], out["auth_key"])
    assert v.status_code == 200, v.body
    assert body(v)["status"] == "valid" and body(v)["kind"] == "contract_reservation"
    assert body(v)["certificate"]["product_name"] == "契約保証予約"
    assert verify(client, tokens, out["number"], out["auth_key"], who="mito").status_code == 404

    v1 = guarantees.version(out["number"], 1)
    assert objects.get(v1.pdf_key).startswith(b"%PDF") and objects.get(v1.key_notice_key).startswith(b"%PDF")
    assert objects.tags(v1.pdf_key) == {}


def test_reject_and_waiver(client, tokens):
    r = reserve(client, tokens)
    assert post(client, tokens["staff"], f"/api/staff/reservations/{r['id']}/reject", {"reason": ""}).status_code == 400
    done = post(
        client, tokens["staff"], f"/api/staff/reservations/{r['id']}/reject", {"reason": "入札参加資格を確認できません"}
    )
    assert done.status_code == 200 and body(done)["status"] == "rejected"
    assert (
        post(client, tokens["staff"], f"/api/staff/reservations/{r['id']}/reject", {"reason": "再度"}).status_code
        == 409
    )
    assert post(client, tokens["staff"], f"/api/staff/reservations/{r['id']}/issue").status_code == 409

    w = reserve(client, tokens, form="paper")
    waived = post(
        client, tokens["staff"], f"/api/staff/reservations/{w['id']}/fee-waiver", {"reason": "指名競争入札のため免除"}
    )
    assert waived.status_code == 200 and body(waived)["fees"]["waived"]["by"] == "ibaraki-staff"
    out = body(post(client, tokens["staff"], f"/api/staff/reservations/{w['id']}/issue"))
    assert out["form"] == "paper" and out["auth_key"] is None and out["number"].endswith("Y")


def test_reservation_decisions_are_audited(client, tokens):
    rejected = reserve(client, tokens)
    post(client, tokens["staff"], f"/api/staff/reservations/{rejected['id']}/reject", {"reason": "資格なし"})
    w = reserve(client, tokens, form="paper")
    post(client, tokens["staff"], f"/api/staff/reservations/{w['id']}/fee-waiver", {"reason": "免除"})
    out = body(post(client, tokens["staff"], f"/api/staff/reservations/{w['id']}/issue"))
    resp = client.http.get("/api/staff/audit?actor=ibaraki-staff", headers=bearer(tokens["staff"]))
    rows = {(r["action"], r["target"]): r for r in body(resp)["items"]}
    assert rows[("reservation_reject", f"reservation:{rejected['id']}")]["reason"] == "資格なし"
    assert ("fee_waiver", f"reservation:{w['id']}") in rows
    assert rows[("reservation_issue", f"reservation:{w['id']}")]["numbers"] == [out["number"]]
    by_number = client.http.get(f"/api/staff/audit?number={out['number']}", headers=bearer(tokens["staff"]))
    assert [r["action"] for r in body(by_number)["items"]] == ["reservation_issue"]


def test_expired_after_ninety_days_from_the_bid(client, tokens):
    r, out = issued_reservation(client, tokens)
    tables.update("reservations", {"reservation_id": r["id"]}, valid_until="2020-01-01")
    tables.update("guarantees", {"number": out["number"]}, deadline="2020-01-01")
    assert (
        body(client.http.get(f"/api/reservations/{r['id']}", headers=bearer(tokens["contractor"])))["status"]
        == "expired"
    )
    assert body(verify(client, tokens, out["number"], out["auth_key"]))["status"] == "expired"
    resp = apply_citing(client, tokens, out["number"])
    assert resp.status_code == 400 and errors_of(resp) == [FIELD]


# ------------------------------------------------------------------ conversion


def test_conversion_rules_each_a_400_on_the_field(client, tokens):
    _, mine = issued_reservation(client, tokens)
    _, theirs = issued_reservation(client, tokens, who="other")
    pending = reserve(client, tokens)
    _, mito = issued_reservation(client, tokens, project__orderer_id="08201")

    for number in (theirs["number"], "30026-999999Y", "30026-000001M"):  # not mine / unknown / not a reservation
        resp = apply_citing(client, tokens, number)
        assert resp.status_code == 400 and errors_of(resp) == [FIELD], number
    resp = apply_citing(client, tokens, mito["number"])  # another orderer
    assert resp.status_code == 400 and errors_of(resp) == [FIELD] and "発注者" in body(resp)["errors"][0]["message"]
    assert pending["number"] is None

    ok = apply_citing(client, tokens, " " + mine["number"].lower() + " ")  # typed loosely, normalised
    assert ok.status_code == 201, ok.body
    assert body(ok)["contract_guarantee"]["reservation_number"] == mine["number"]


def test_an_unissued_reservation_cannot_be_cited(client, tokens):
    r = reserve(client, tokens)
    pay_reservation(client, tokens, r)
    # its guarantee row does not exist before issue: the number is unknown
    resp = apply_citing(client, tokens, "30026-000001Y")
    assert resp.status_code == 400 and errors_of(resp) == [FIELD]


def test_issuing_the_application_marks_the_reservation_used(client, tokens):
    r, out = issued_reservation(client, tokens)
    app = apply_citing(client, tokens, out["number"])
    assert app.status_code == 201
    app_id = body(app)["id"]
    post(
        client,
        tokens["staff"],
        f"/api/staff/applications/{app_id}/payment",
        {"amount": body(app)["fees"]["total"], "paid_on": clock.today().isoformat()},
    )
    issued = post(client, tokens["staff"], f"/api/staff/applications/{app_id}/issue")
    assert issued.status_code == 201, issued.body
    assert reservations.get(r["id"]).status == "used" and reservations.get(r["id"]).used_by == app_id
    assert (
        body(client.http.get(f"/api/reservations/{r['id']}", headers=bearer(tokens["contractor"])))["status"] == "used"
    )
    with dynamodb_calls.recorded() as calls:  # issue 15's budget holds for a reservation too
        used = verify(client, tokens, out["number"], out["auth_key"])
    assert body(used)["status"] == "used"
    assert calls[0] == "GetItem" and len(calls) - 1 <= 3, calls  # the session, then at most three
    for g in body(issued)["guarantees"]:
        assert body(verify(client, tokens, g["number"], g["auth_key"]))["status"] == "valid"
    again = apply_citing(client, tokens, out["number"])  # unused: no more
    assert again.status_code == 400 and errors_of(again) == [FIELD] and "使用" in body(again)["errors"][0]["message"]
    # The audit trail treats the reservation like a guarantee: found by its number, the application's
    # `issue` record names the reservation it converted beside the guarantees it issued.
    trail = body(client.http.get(f"/api/staff/audit?number={out['number']}", headers=bearer(tokens["staff"])))
    issued_numbers = [g["number"] for g in body(issued)["guarantees"]]
    by_action = {r["action"]: r for r in trail["items"]}
    assert set(by_action) == {"reservation_issue", "issue"}
    assert by_action["issue"]["target"] == f"application:{app_id}"
    assert by_action["issue"]["numbers"] == [*issued_numbers, out["number"]]
    assert by_action["reservation_issue"]["target"] == f"reservation:{r['id']}"


def test_an_application_issue_is_audited_in_its_transaction(client, tokens):
    """Every application's 発行 leaves one `issue` record naming its guarantees (no reservation cited)."""
    app = make_application()  # its fee recorded paid (a fee_payment record of its own)
    issued = post(client, tokens["staff"], f"/api/staff/applications/{app.application_id}/issue")
    assert issued.status_code == 201, issued.body
    numbers = [g["number"] for g in body(issued)["guarantees"]]
    resp = client.http.get("/api/staff/audit?actor=ibaraki-staff", headers=bearer(tokens["staff"]))
    rows = [r for r in body(resp)["items"] if r["target"] == f"application:{app.application_id}"]
    assert [(r["action"], r["numbers"]) for r in rows if r["action"] != "fee_payment"] == [("issue", numbers)]


def test_two_applications_racing_for_one_reservation_issue_exactly_one(client, tokens):
    r, out = issued_reservation(client, tokens)
    form = application_body()
    form["contract_guarantee"]["reservation_number"] = out["number"]
    apps = [make_application(form=form) for _ in range(3)]
    results: list = []

    def run(app_id):
        try:
            results.append(issuance.issue(STAFF, app_id))
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(a.application_id,)) for a in apps]
    [t.start() for t in threads]
    [t.join() for t in threads]
    winners = [x for x in results if not isinstance(x, Conflict)]
    losers = [x for x in results if isinstance(x, Conflict)]
    assert len(winners) == 1 and len(losers) == 2
    assert all(e.errors[0].field == FIELD for e in losers)
    assert reservations.get(r["id"]).status == "used"
    issued_apps = [a for a in apps if applications.get(a.application_id).status == "issued"]
    assert len(issued_apps) == 1
    assert sum(1 for g in tables.rows("guarantees") if g.kind != "contract_reservation") == 2


# ------------------------------------------------------------------ the PDFs


def _png(data: bytes, tmp_path, name: str):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: `bin/setup --system` installs it")
    from PIL import Image

    src = tmp_path / f"{name}.pdf"
    src.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(src), str(tmp_path / name)], check=True)
    png = next(tmp_path.glob(f"{name}*.png"))
    img = Image.open(png).convert("L")
    assert img.size[0] > 300 and sum(img.histogram()[:128]) > 0.01 * img.size[0] * img.size[1], "page looks blank"
    return png


def test_reservation_certificate_and_key_notice_read_back(client, tokens, tmp_path):
    _, out = issued_reservation(client, tokens)
    v1 = guarantees.version(out["number"], 1)
    cert, notice = objects.get(v1.pdf_key), objects.get(v1.key_notice_key)
    text = pdf_text(cert)
    for expected in (
        "契約保証予約証書 (入札ボンド)",
        out["number"],
        "〇〇建設 株式会社",
        "笠間市長 殿",  # addressed to the 発注者, as a 保証証書 is
        "5市単(笠建)第〇-〇号道路改良工事",
        "48,000,000円",
        "4,800,000円",
        "入札日から90日",
        v1.sha256,
    ):
        assert expected in text, expected
    assert out["auth_key"] not in text
    ntext = pdf_text(notice)
    assert out["auth_key"] in ntext and out["number"] in ntext and "契約保証予約" in ntext
    # Net Desk reads it as a reservation: 入札金額 and 有効期限, a 予約証書 without a guarantee's (注).
    contractor = {"Cookie": f"esurety_session={tokens['contractor']}"}
    overview = client.http.get(f"/netdesk/guarantees/{out['number']}", headers=contractor).body.decode()
    assert "入札金額" in overview and "有効期限" in overview and "予約証書 (PDF)" in overview
    assert "請負金額" not in overview and "保証期限" not in overview
    shown = client.http.get(f"/netdesk/guarantees/{out['number']}/certificate", headers=contractor).body.decode()
    assert "契約保証予約証書" in shown and "請求金額" not in shown and "保証証書 (" not in shown
    for name, data in (("reservation", cert), ("reservation_notice", notice)):
        _png(data, tmp_path, name)


# ------------------------------------------------------------------ the 契約保証予約(入札ボンド) tab


def test_the_bond_tab_lists_reservations_with_its_own_filters(client, tokens):
    _, out = issued_reservation(client, tokens)
    pending = reserve(client, tokens, project__name="北部地区排水路工事")

    def tab(query=""):
        resp = client.http.get(f"/netdesk/guarantees?tab=bond{query}", headers=bearer(tokens["contractor"]))
        assert resp.status_code == 200, resp.body
        return resp.body.decode()

    html = tab()
    assert out["number"] in html and f'href="/netdesk/guarantees/{out["number"]}"' in html
    assert "北部地区排水路工事" in html and "審査中" in html and "5,000円" in html
    issued_only = tab("&status=issued")
    assert out["number"] in issued_only and "北部地区排水路工事" not in issued_only
    by_name = tab("&project=北部")
    assert "北部地区排水路工事" in by_name and out["number"] not in by_name
    assert pending["id"]
    # the other tabs stay guarantees only
    assert (
        out["number"] not in client.http.get("/netdesk/guarantees", headers=bearer(tokens["contractor"])).body.decode()
    )
