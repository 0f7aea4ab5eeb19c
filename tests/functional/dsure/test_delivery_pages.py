"""The 提出 and 受領 pages: 「発注者へ提出」, and D-Sure's 提出一覧 → 照合 → 受領 / 差戻し; each write
behind the one confirmation step (handlers/confirm.py) and answered by a 303 (Post/Redirect/Get)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from chalicelib.store import deliveries as deliveries_store
from tests import journeys
from tests.factories import make_guarantee
from tests.forms import confirm_form, csrf_of, staff_cookie, staff_write
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
        confirm, done = staff_write(client, contractor, path, {"orderer_reference": "R8-1"}, csrf_of(overview))
        assert ("土木課" if g is advance else "契約検査課") in confirm.body.decode()
        assert done.status_code == 303 and done.headers["Location"].endswith("?done=delivered")
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
    path = f"/dsure/deliveries/{delivery_id}/return"
    shown, returned = staff_write(client, doboku, path, {"reason": "工期末が保証期限より後", "version": "1"}, csrf)
    assert "差戻しの理由" in shown.body.decode() and returned.status_code == 303
    after = _get(client, doboku, returned.headers["Location"].split("8000")[-1]).body.decode()
    assert "差し戻しました" in after and 'id="delivery-history"' in after and "kasama-doboku" in after
    again = _post(client, doboku, f"/dsure/deliveries/{delivery_id}/receive", {"csrf_token": csrf, "version": "1"})
    assert again.status_code == 409 and "受領または差戻しされています" in again.body.decode()
    mine = _get(client, contractor, f"/netdesk/guarantees/{advance['number']}").body.decode()
    assert "工期末が保証期限より後" in mine


def test_the_clerk_sees_a_guarantees_deliveries(client, tokens):
    number = make_guarantee("30026-000713M").number
    assert journeys.post(client, tokens["contractor"], f"/api/guarantees/{number}/deliveries", {}).status_code == 201
    staff, _ = browser_login(client, "staff", "ibaraki-staff", "demo-pass-3")
    html = _get(client, staff, f"/staff/guarantees/{number}").body.decode()
    assert "発注者への提出" in html and "土木課" in html and "提出済 (未受領)" in html


def _history(delivery_id: str | None) -> int:
    """Every delivery write leaves one entry in the delivery's own history (who, when, what)."""
    found = deliveries_store.get(delivery_id, consistent=True) if delivery_id else None
    return len(found.history) if found else 0


def _delivered(client, tokens, number: str) -> str:
    make_guarantee(number)
    made = journeys.post(client, tokens["contractor"], f"/api/guarantees/{number}/deliveries", {})
    return journeys.body(made)["delivery_id"]


WRITES = ["deliver", "receive", "return"]


@pytest.mark.parametrize("name", WRITES)
def test_a_delivery_write_happens_only_once_confirmed_and_a_reload_repeats_nothing(client, tokens, name):
    number = f"30026-00072{WRITES.index(name)}M"
    if name == "deliver":
        make_guarantee(number)
        session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
        path, fields, delivery_id = f"/netdesk/guarantees/{number}/deliveries", {"message": "よろしく"}, None
    else:
        delivery_id = _delivered(client, tokens, number)
        session, _ = browser_login(client, "dsure", "kasama-doboku", "demo-pass-9")
        fields = {"version": "1", **({"reason": "金額の誤り"} if name == "return" else {"period_end": "2027-01-01"})}
        path = f"/dsure/deliveries/{delivery_id}/{name}"
    csrf = csrf_of(_get(client, session, "/netdesk" if name == "deliver" else "/dsure/deliveries").body.decode())
    before = _history(delivery_id)

    # One post, as a forged or scripted form would send it: the confirmation page, nothing written.
    forged = {"csrf_token": csrf, "confirmed": "1", "form_token": "1.x.y", **fields}
    shown = client.http.post(path, headers=staff_cookie(session), body=urlencode(forged))
    assert shown.status_code == 200 and 'id="confirm"' in shown.body.decode()
    assert _history(delivery_id) == before

    # The confirmed post writes once, recorded in the delivery's history, and redirects to a GET page.
    shown, done = staff_write(client, session, path, fields, csrf)
    assert "押すまでは何も記録されません" in shown.body.decode() and done.status_code == 303
    delivery_id = (
        delivery_id
        or journeys.body(
            client.http.get(f"/api/guarantees/{number}/deliveries", headers=journeys.bearer(tokens["contractor"]))
        )["items"][0]["delivery_id"]
    )
    assert _history(delivery_id) == before + 1
    result = _get(client, session, done.headers["Location"])
    assert result.status_code == 200 and 'id="done"' in result.body.decode()

    # Reloading the result, and sending the confirmation again, repeat nothing.
    assert _get(client, session, done.headers["Location"]).status_code == 200
    action, hidden = confirm_form(shown.body.decode())
    resent = client.http.post(action, headers=staff_cookie(session), body=urlencode(hidden))
    assert resent.status_code == 303 and resent.headers["Location"] == done.headers["Location"]
    assert _history(delivery_id) == before + 1


def test_a_decision_refused_at_its_confirmation_is_shown_beside_the_forms(client, tokens):
    delivery_id = _delivered(client, tokens, "30026-000729M")
    session, _ = browser_login(client, "dsure", "kasama-doboku", "demo-pass-9")
    csrf = csrf_of(_get(client, session, "/dsure/deliveries").body.decode())
    path = f"/dsure/deliveries/{delivery_id}"
    blank = _post(client, session, path + "/return", {"csrf_token": csrf, "reason": " ", "version": "1"})
    stale = _post(client, session, path + "/receive", {"csrf_token": csrf, "version": "2"})
    for answer, status in ((blank, 400), (stale, 409)):
        html = answer.body.decode()
        assert answer.status_code == status and 'id="confirm"' not in html and 'id="check"' in html
    assert _history(delivery_id) == 1
