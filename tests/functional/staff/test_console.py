"""Issue 14 step 3: confirmation before every staff write, and a reload or double submit of any
staff POST repeats nothing (Post/Redirect/Get and a one-time token per confirmation form)."""

from __future__ import annotations

import re
import urllib.parse

from chalicelib.store import applications, guarantees
from tests import tables
from tests.factories import make_application
from tests.forms import csrf_of

FORM = "application/x-www-form-urlencoded"


def staff_records() -> int:
    """The branch's audit records, less the 保証料 payment the factory records for each application
    it makes (issue 17) — setup, not the console writes under test."""
    return sum(1 for r in tables.rows("audit", pk="scope#ibaraki") if r.action != "fee_payment")


def _confirm_form(html: str) -> tuple[str, str]:
    action = re.search(r'<form method="post" action="([^"]+)" id="confirm">', html).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return action, urllib.parse.urlencode(fields)


def test_issue_version_and_reissue_reload_repeat_nothing(client, tokens):
    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    form = {**cookie, "Content-Type": FORM}
    app = make_application()
    detail = client.http.get(f"/staff/applications/{app.application_id}", headers=cookie).body.decode()
    first = client.http.post(
        f"/staff/applications/{app.application_id}/issue", headers=form, body=f"csrf_token={csrf_of(detail)}"
    )
    again = client.http.post(
        f"/staff/applications/{app.application_id}/issue", headers=form, body=f"csrf_token={csrf_of(detail)}"
    )
    assert first.status_code == again.status_code == 303 and first.headers["Location"] == again.headers["Location"]
    result = client.http.get(first.headers["Location"], headers=cookie)
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"
    numbers = applications.get(app.application_id).guarantee_numbers
    assert len(numbers) == 2 and all(n in result.body.decode() for n in numbers)
    assert len(tables.rows("guarantees")) == 2 and staff_records() == 1
    application_page = client.http.get(f"/staff/applications/{app.application_id}", headers=cookie).body.decode()
    assert all(f"/staff/guarantees/{n}" in application_page for n in numbers)  # an issued application links to them

    number = numbers[0]
    page = client.http.get(f"/staff/guarantees/{number}", headers=cookie).body.decode()
    assert f"/staff/applications/{app.application_id}" in page  # and back
    shown = client.http.post(
        f"/staff/guarantees/{number}/versions",
        headers=form,
        body=f"csrf_token={csrf_of(page)}&kind=change&guarantee_amount=15000000&period_end=2027-12-20&reason=増額",
    )
    html = shown.body.decode()
    assert shown.status_code == 200 and "20,000,000円" in html and "15,000,000円" in html  # before → after
    assert "令和9年11月15日" in html and "令和9年12月20日" in html
    assert guarantees.get(number).latest_version == 1  # nothing yet
    action, body = _confirm_form(html)
    for _ in range(3):  # the confirmed post, then two reloads of it
        assert client.http.post(action, headers=form, body=body).status_code == 303
    assert guarantees.get(number).latest_version == 2 and len(guarantees.history(number)) == 2

    asked = client.http.post(
        f"/staff/guarantees/{number}/reissue-key", headers=form, body=f"csrf_token={csrf_of(page)}&reason=紛失"
    )
    html = asked.body.decode()
    assert number in html and "使えなくなり" in html
    action, body = _confirm_form(html)
    for _ in range(2):
        assert client.http.post(action, headers=form, body=body).status_code == 303
    assert len([a for a in tables.rows("approvals") if a.status == "pending"]) == 1

    shown = client.http.post(
        f"/staff/guarantees/{number}/versions",
        headers=form,
        body=f"csrf_token={csrf_of(page)}&kind=cancellation&reason=契約解除",
    )
    assert "取消" in shown.body.decode() and "元に戻せません" in shown.body.decode()
    action, body = _confirm_form(shown.body.decode())
    for _ in range(2):
        assert client.http.post(action, headers=form, body=body).status_code == 303
    assert len([a for a in tables.rows("approvals") if a.status == "pending"]) == 2  # one reissue, one cancellation


def test_reject_reload_is_refused_and_changes_nothing(client, tokens):
    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    form = {**cookie, "Content-Type": FORM}
    app = make_application()
    detail = client.http.get(f"/staff/applications/{app.application_id}", headers=cookie).body.decode()
    body = f"csrf_token={csrf_of(detail)}&reason=書類不備"
    assert (
        client.http.post(f"/staff/applications/{app.application_id}/reject", headers=form, body=body).status_code == 303
    )
    again = client.http.post(f"/staff/applications/{app.application_id}/reject", headers=form, body=body)
    assert again.status_code == 409 and "すでに処理されています" in again.body.decode()
    assert staff_records() == 1
