"""The console's confirmed writes (services/console.py, handlers/confirm.py): every staff write that
issues, records money, waives, rejects, asks for or decides a 決裁 shows a confirmation first; a
single post — even one claiming `confirmed=1` with a made-up token — changes nothing; the confirmed
post writes once and redirects to a GET page; reloading that page or re-sending the confirmation
repeats nothing."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest

from chalicelib.domain import clock
from chalicelib.services import fees
from chalicelib.store import applications, guarantees
from tests import tables
from tests.factories import make_application, make_guarantee
from tests.forms import confirm_form, staff_cookie, staff_csrf, staff_write
from tests.journeys import body, paid_reservation, post, reserve

NUMBER = "30026-000701M"


def _records() -> int:
    """Every staff write leaves one audit record in the branch's trail."""
    return len(tables.rows("audit", pk="scope#ibaraki"))


def _application(fee: str = "paid") -> str:
    return make_application(fee=fee).application_id


def _unpaid_total(app_id: str) -> str:
    app = applications.get(app_id)
    return str(fees.ensure("application", app_id, app.form).total)


def _pending(client, tokens) -> str:
    make_guarantee(NUMBER)
    asked = post(client, tokens["staff"], f"/api/staff/guarantees/{NUMBER}/reissue-key", {"reason": "紛失"})
    return body(asked)["approval_id"]


def _case(name: str, client, tokens) -> tuple[str, str, dict[str, str]]:
    """(who posts, the route, the form's fields) of each staff write, with what it needs made first."""
    today = clock.today().isoformat()
    if name.startswith("application"):
        app_id = _application("unpaid" if "fee" in name else "paid")
        route = f"/staff/applications/{app_id}"
        return {
            "application-issue": ("staff", route + "/issue", {}),
            "application-reject": ("staff", route + "/reject", {"reason": "書類不備"}),
            "application-fee-payment": ("staff", route + "/fee/payment", {"amount": _unpaid_total(app_id), "paid_on": today}),
            "application-fee-waiver": ("staff", route + "/fee/waiver", {"reason": "災害協定による免除"}),
        }[name]  # fmt: skip
    if name.startswith("reservation"):
        if name == "reservation-issue":
            return "staff", f"/staff/reservations/{paid_reservation(client, tokens)}/issue", {}
        r = reserve(client, tokens)
        route = f"/staff/reservations/{r['id']}"
        return {
            "reservation-reject": ("staff", route + "/reject", {"reason": "入札日の誤り"}),
            "reservation-fee-payment": ("staff", route + "/fee/payment", {"amount": str(r["fees"]["total"]), "paid_on": today}),
            "reservation-fee-waiver": ("staff", route + "/fee/waiver", {"reason": "災害協定による免除"}),
        }[name]  # fmt: skip
    if name in ("approve", "decline"):
        approval = _pending(client, tokens)
        fields = {} if name == "approve" else {"reason": "確認できないため"}
        return "chief", f"/staff/approvals/{approval}/{name}", fields
    make_guarantee(NUMBER)
    if name == "version-change":
        fields = {"kind": "change", "guarantee_amount": "15000000", "reason": "減額"}
        return "staff", f"/staff/guarantees/{NUMBER}/versions", fields
    return "staff", f"/staff/guarantees/{NUMBER}/reissue-key", {"reason": "紛失"}


ROUTES = [
    "application-issue", "application-reject", "application-fee-payment", "application-fee-waiver",
    "reservation-issue", "reservation-reject", "reservation-fee-payment", "reservation-fee-waiver",
    "approve", "decline", "version-change", "reissue-key",
]  # fmt: skip


@pytest.mark.parametrize("name", ROUTES)
def test_a_staff_write_happens_only_once_confirmed_and_a_reload_repeats_nothing(client, tokens, name):
    who, path, fields = _case(name, client, tokens)
    session = tokens[who]
    csrf = staff_csrf(client, session)
    before = _records()

    # One post, as a forged or scripted form would send it: the confirmation page, nothing written.
    forged = {"csrf_token": csrf, "confirmed": "1", "form_token": "1.x.y", **fields}
    shown = client.http.post(path, headers=staff_cookie(session), body=urlencode(forged))
    assert shown.status_code == 200 and 'id="confirm"' in shown.body.decode()
    assert _records() == before

    # The confirmation page names what will happen; its post writes once and redirects to a GET page.
    shown, done = staff_write(client, session, path, fields, csrf)
    assert "押すまでは何も記録されません" in shown.body.decode()
    assert done.status_code == 303, done.body.decode()[:2000]
    assert _records() == before + 1
    result = client.http.get(done.headers["Location"], headers={"Cookie": f"esurety_session={session}"})
    assert result.status_code == 200
    if "?done=" in done.headers["Location"]:  # 差戻し, 入金, 免除, 否認, 版, 依頼: feedback on the page
        assert 'id="done"' in result.body.decode()

    # Reloading the result page, and sending the confirmation again (back, then resubmit), repeat nothing.
    again = client.http.get(done.headers["Location"], headers={"Cookie": f"esurety_session={session}"})
    assert again.status_code == 200
    action, hidden = confirm_form(shown.body.decode())
    resent = client.http.post(action, headers=staff_cookie(session), body=urlencode(hidden))
    assert resent.status_code == 303 and resent.headers["Location"] == done.headers["Location"]
    assert _records() == before + 1


def test_a_confirmed_form_with_altered_values_is_shown_for_confirmation_again(client, tokens):
    app_id = _application("unpaid")
    session = tokens["staff"]
    csrf = staff_csrf(client, session)
    path = f"/staff/applications/{app_id}/fee/payment"
    today = clock.today().isoformat()
    shown = client.http.post(
        path,
        headers=staff_cookie(session),
        body=urlencode({"csrf_token": csrf, "amount": _unpaid_total(app_id), "paid_on": today}),
    )
    action, hidden = confirm_form(shown.body.decode())
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    altered = client.http.post(action, headers=staff_cookie(session), body=urlencode({**hidden, "paid_on": yesterday}))
    assert altered.status_code == 200 and 'id="confirm"' in altered.body.decode()
    assert applications.get(app_id).status == "submitted" and fees.ensure("application", app_id, {}).paid_on is None


def test_what_the_confirmation_checks_is_shown_beside_the_form_and_writes_nothing(client, tokens):
    app_id = _application("unpaid")  # 発行 before the fee is recorded, 差戻し without a reason
    session = tokens["staff"]
    csrf = staff_csrf(client, session)
    before = _records()
    issue = client.http.post(
        f"/staff/applications/{app_id}/issue", headers=staff_cookie(session), body=urlencode({"csrf_token": csrf})
    )
    assert (
        issue.status_code == 409 and "保証料の入金" in issue.body.decode() and 'id="confirm"' not in issue.body.decode()
    )
    reject = client.http.post(
        f"/staff/applications/{app_id}/reject",
        headers=staff_cookie(session),
        body=urlencode({"csrf_token": csrf, "reason": " "}),
    )
    assert reject.status_code == 400 and "差戻し理由" in reject.body.decode()
    assert _records() == before and guarantees.get(NUMBER) is None


def test_the_guarantee_page_offers_no_second_reissue_while_one_waits(client, tokens):
    from tests.functional.conftest import bearer

    make_guarantee("30026-000702M")
    before = client.http.get("/staff/guarantees/30026-000702M", headers=bearer(tokens["staff"])).body.decode()
    assert "/reissue-key" in before and 'name="period_end" type="date"' in before  # 工期末: a date input
    _pending(client, tokens)
    waiting = client.http.get(f"/staff/guarantees/{NUMBER}", headers=bearer(tokens["staff"])).body.decode()
    assert 'id="reissue-pending"' in waiting and "/reissue-key" not in waiting
