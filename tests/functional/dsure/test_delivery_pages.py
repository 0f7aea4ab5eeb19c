"""The 提出 and 受領 pages: 「発注者へ提出」 with its confirmation step, and D-Sure's 提出一覧 → 照合 →
受領 / 差戻し, each write answered by a 303 (Post/Redirect/Get)."""

from __future__ import annotations

from urllib.parse import urlencode

from tests import journeys
from tests.factories import make_guarantee
from tests.forms import csrf_of, hidden_fields
from tests.functional.conftest import browser_login

URLENC = {"Content-Type": "application/x-www-form-urlencoded"}


def _post(client, session: str, path: str, fields: dict[str, str]):
    return client.http.post(path, headers={**URLENC, "Cookie": f"esurety_session={session}"}, body=urlencode(fields))


def _get(client, session: str, path: str):
    return client.http.get(path, headers={"Cookie": f"esurety_session={session}"})


def test_deliver_then_check_and_receive_or_return_through_the_pages(client, tokens):
    advance = {"number": make_guarantee("30026-000711M").number, "auth_key": "Z28YUE4J3Bux"}
    contract = {"number": make_guarantee("30026-000712K", kind="contract_guarantee").number}
    contractor, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    overview = _get(client, contractor, f"/netdesk/guarantees/{advance['number']}").body.decode()
    assert "発注者へ提出" in overview and "まだ提出していません" in overview
    for g in (advance, contract):
        path = f"/netdesk/guarantees/{g['number']}/deliveries"
        confirm = _post(client, contractor, path, {"csrf_token": csrf_of(overview), "orderer_reference": "R8-1"})
        assert confirm.status_code == 200, confirm.body
        html = confirm.body.decode()
        assert ("土木課" if g is advance else "契約検査課") in html
        done = _post(client, contractor, path, hidden_fields(html))
        assert done.status_code == 303 and done.headers["Location"].endswith("#deliveries")
    doboku, _ = browser_login(client, "dsure", "kasama-doboku", "demo-pass-9")
    listed = _get(client, doboku, "/dsure/deliveries").body.decode()
    assert advance["number"] in listed and contract["number"] not in listed
    delivery_id = journeys.body(
        client.http.get(
            f"/api/guarantees/{advance['number']}/deliveries", headers=journeys.bearer(tokens["contractor"])
        )
    )["items"][0]["delivery_id"]
    detail = _get(client, doboku, f"/dsure/deliveries/{delivery_id}")
    assert detail.status_code == 200 and advance["auth_key"] in detail.body.decode()
    assert 'id="receive"' not in detail.body.decode()  # the decision comes after the check
    csrf = csrf_of(detail.body.decode())
    checked = _post(
        client, doboku, f"/dsure/deliveries/{delivery_id}/check", {"csrf_token": csrf, "period_end": "2099-01-01"}
    )
    html = checked.body.decode()
    assert checked.status_code == 200 and "finding-period_end_after_deadline" in html and 'id="receive"' in html
    returned = _post(
        client,
        doboku,
        f"/dsure/deliveries/{delivery_id}/return",
        {"csrf_token": csrf, "reason": "工期末が保証期限より後", "version": "1"},
    )
    assert returned.status_code == 303
    after = _get(client, doboku, returned.headers["Location"].split("8000")[-1]).body.decode()
    assert "差し戻しました" in after
    again = _post(client, doboku, f"/dsure/deliveries/{delivery_id}/receive", {"csrf_token": csrf, "version": "1"})
    assert again.status_code == 409
    mine = _get(client, contractor, f"/netdesk/guarantees/{advance['number']}").body.decode()
    assert "工期末が保証期限より後" in mine


def test_the_clerk_sees_a_guarantees_deliveries(client, tokens):
    number = make_guarantee("30026-000713M").number
    assert journeys.post(client, tokens["contractor"], f"/api/guarantees/{number}/deliveries", {}).status_code == 201
    staff, _ = browser_login(client, "staff", "ibaraki-staff", "demo-pass-3")
    html = _get(client, staff, f"/staff/guarantees/{number}").body.decode()
    assert "発注者への提出" in html and "土木課" in html and "提出済 (未受領)" in html
