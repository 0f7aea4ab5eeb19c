"""Issue 22: a page's errors are answered by `@page` as `@api` answers them (handlers/errors.py),
as the error page; a page catches only the narrower error it shows again beside its form.

The answers are the ones the hand-written catches gave: the same 404 page for something missing
(or another's), the form shown again with the refusal beside it. What no page caught before (a
TooManyAttempts, a refusal under a page with no form) is now its status, not a 500.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from chalicelib.domain.errors import Conflict, FieldError, TooManyAttempts
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.middleware import _error_page
from chalicelib.services import approvals, staff_applications
from tests.factories import make_application, make_guarantee
from tests.forms import confirm_form
from tests.functional.conftest import bearer, login

FORM = "application/x-www-form-urlencoded"
BACK = "ブラウザの「戻る」で前の画面に戻るか"  # the error page's line (templates/html/error.html)


def _error_page_html(status: int, errors: list[FieldError] | None = None, path: str = "") -> str:
    return _error_page(ApiError(status, errors), path).body


def _post(client, token: str, path: str, form: dict[str, str] | None = None):
    return client.http.post(path, headers={**bearer(token), "Content-Type": FORM}, body=urlencode(form or {}))


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("staff", "GET", "/staff/applications/no-such-id"),
        ("staff", "GET", "/staff/applications/no-such-id/issued"),
        ("staff", "POST", "/staff/applications/no-such-id/reject"),
        ("staff", "POST", "/staff/applications/no-such-id/issue"),
        ("staff", "GET", "/staff/guarantees/30026-999999M"),
        ("staff", "GET", "/staff/guarantees/30026-999999M/key-notice.pdf"),
        ("staff", "POST", "/staff/guarantees/30026-999999M/reissue-key"),
        ("staff", "POST", "/staff/approvals/no-such-id/approve"),
        ("staff", "POST", "/staff/approvals/no-such-id/decline"),
        ("staff", "GET", "/staff/reservations/no-such-id"),
        ("staff", "POST", "/staff/reservations/no-such-id/issue"),
        ("contractor", "GET", "/netdesk/applications/no-such-id"),
        ("contractor", "GET", "/netdesk/applications/no-such-id/fee-statement.pdf"),
        ("contractor", "GET", "/netdesk/guarantees/30026-999999M"),
        ("contractor", "GET", "/netdesk/guarantees/30026-999999M/certificate"),
    ],
)
def test_something_missing_is_the_same_404_error_page(client, tokens, who, method, path):
    form = {"reason": "書類不備"} if method == "POST" else None
    resp = (
        _post(client, tokens[who], path, form)
        if method == "POST"
        else client.http.get(path, headers=bearer(tokens[who]))
    )
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.body.decode() == _error_page_html(404, path=path)


def test_an_error_page_leads_home_to_its_own_portal_and_lists_every_portal(client, tokens):
    staff = client.http.get("/staff/guarantees/30026-999999M", headers=bearer(tokens["staff"])).body.decode()
    assert 'href="/staff" class="button primary" id="home-link"' in staff
    forbidden = client.http.get("/staff/applications", headers=bearer(tokens["contractor"]))
    assert forbidden.status_code in (403, 404)
    assert 'href="/staff" class="button primary"' in forbidden.body.decode()
    bare = client.http.get("/no-such-page").body.decode()
    assert 'id="home-link"' not in bare  # no portal to guess: the list of every one instead
    for portal in ("/netdesk", "/dsure", "/staff", "/admin"):
        assert f'<a href="{portal}">' in bare


def test_the_error_page_lists_only_what_its_heading_does_not_say(client):
    """A bare 404 page is its heading and the way back: no empty error list (a red, empty box)."""
    bare = client.http.get("/netdesk/no-such-page").body.decode()
    assert BACK in bare and "見つかりません。" in bare and 'class="errors"' not in bare
    detailed = _error_page_html(400, [FieldError("cursor", "カーソルが正しくありません。")])
    assert '<ul class="errors"><li>カーソルが正しくありません。</li></ul>' in detailed and BACK in detailed


def test_too_many_attempts_under_a_page_is_429_with_retry_after(client, tokens, monkeypatch):
    locked = FieldError("", "試行回数が上限に達しました。")

    def too_many(*_args):
        raise TooManyAttempts(90, [locked])

    monkeypatch.setattr(staff_applications, "review", too_many)
    resp = client.http.get("/staff/applications/any-id", headers=bearer(tokens["staff"]))
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "90"
    assert resp.body.decode() == _error_page_html(429, [locked], "/staff/applications/any-id")


def test_a_refusal_under_a_page_without_a_form_is_its_status_not_a_500(client, tokens, monkeypatch):
    refused = FieldError("", "同時に他の処理が行われました。もう一度お試しください。")

    def conflict(*_args):
        raise Conflict([refused])

    monkeypatch.setattr(approvals, "list_approvals", conflict)
    resp = client.http.get("/staff/approvals", headers=bearer(tokens["staff"]))
    assert resp.status_code == 409 and resp.body.decode() == _error_page_html(409, [refused], "/staff/approvals")


# ---------------------------------------------------------------- the narrow catches keep the form


def test_a_rejection_without_reason_or_twice_shows_the_application_page_again(client, tokens):
    app = make_application()
    path = f"/staff/applications/{app.application_id}/reject"
    blank = _post(client, tokens["staff"], path, {"reason": " "})  # ValidationFailed
    assert blank.status_code == 400 and BACK not in blank.body.decode()
    assert "理由を200文字以内で入力してください。" in blank.body.decode() and path in blank.body.decode()
    shown = _post(client, tokens["staff"], path, {"reason": "書類不備"})  # the confirmation step
    action, hidden = confirm_form(shown.body.decode())
    assert _post(client, tokens["staff"], action, hidden).status_code == 303
    again = _post(client, tokens["staff"], path, {"reason": "書類不備"})  # Conflict
    assert again.status_code == 409 and BACK not in again.body.decode()
    assert "この申込はすでに処理されています。" in again.body.decode() and "<h1>申込詳細</h1>" in again.body.decode()


def test_approving_ones_own_request_shows_the_approvals_page_again(client, tokens):
    make_guarantee("30026-000778M")
    asked = client.http.post(
        "/api/staff/guarantees/30026-000778M/reissue-key",
        headers={**bearer(tokens["staff"]), "Content-Type": "application/json"},
        body='{"reason": "発注者からの依頼"}',
    )
    approval_id = json.loads(asked.body)["approval_id"]
    own = _post(client, tokens["staff"], f"/staff/approvals/{approval_id}/approve")  # Forbidden
    html = own.body.decode()
    assert own.status_code == 403 and BACK not in html
    assert approvals.OWN_REQUEST.message in html and "<h1>決裁待ち</h1>" in html


def test_the_admin_console_shows_an_unknown_login_above_its_forms(client):
    admin = login(client, "admin", "demo-pass-7")["token"]
    resp = _post(client, admin, "/admin/actions", {"op": "disable", "login": "no-such-login"})  # NotFound
    html = resp.body.decode()
    assert resp.status_code == 404 and BACK not in html and 'name="op" value="invite"' in html
