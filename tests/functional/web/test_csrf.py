"""CSRF on cookie sessions: a form post needs its token, an API call its header; a bearer token needs neither."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.forms import URLENC, csrf_of
from tests.functional.conftest import DEMO, browser_login, login


def test_cookie_form_post_without_csrf_is_refused(client):
    session, html = browser_login(client, "netdesk", *DEMO["contractor"])
    cookie = {"Cookie": f"esurety_session={session}", "Content-Type": "application/x-www-form-urlencoded"}
    refused = client.http.post("/netdesk/logout", headers=cookie, body="")
    assert refused.status_code == 403
    wrong = client.http.post("/netdesk/logout", headers=cookie, body="csrf_token=deadbeef")
    assert wrong.status_code == 403
    # Still logged in: the refused posts changed nothing.
    assert client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).status_code == 200
    csrf = csrf_of(html)
    ok = client.http.post("/netdesk/logout", headers=cookie, body=f"csrf_token={csrf}")
    assert ok.status_code == 303
    assert client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).status_code == 303


def test_cookie_api_call_needs_csrf_header_bearer_does_not(client):
    session, html = browser_login(client, "netdesk", *DEMO["contractor"])
    cookie = {"Cookie": f"esurety_session={session}"}
    assert client.http.delete("/api/session", headers=cookie).status_code == 403
    csrf = csrf_of(html)
    assert client.http.delete("/api/session", headers={**cookie, "X-CSRF-Token": csrf}).status_code == 204


def test_a_post_with_a_wrong_token_is_refused_before_its_form_is_parsed(client, monkeypatch):
    """Every page post checks who is asking and its CSRF token — read by a bounded scan of the body —
    before the form parser runs: a session's pages, and the anonymous login, reset and set-up forms
    (their nonce pair). A large, well-formed form with a wrong token is a 403 on every page route
    and is never parsed."""
    import app as app_module
    from chalicelib.handlers import page

    parsed: list[str] = []
    monkeypatch.setattr(page, "parse_form", lambda request: parsed.append(request.path) or ({}, {}))
    routes = sorted(
        path.replace("{", "").replace("}", "")
        for path, entry in app_module.app.routes.items()
        if not path.startswith("/api/") and "POST" in entry
    )
    form = urlencode([("csrf_token", "0" * 64)] + [(f"field{i}", "x" * 110) for i in range(450)])
    assert 50_000 < len(form) < page.MAX_FORM
    session = login(client, *DEMO["contractor"])["token"]
    cookie = {"Cookie": f"esurety_session={session}; esurety_login=some-nonce", **URLENC}
    answers = {path: client.http.post(path, headers=cookie, body=form).status_code for path in routes}
    assert {path: status for path, status in answers.items() if status != 403} == {}
    assert "/netdesk/login" in answers and "/account/setup" in answers and "/account/reset" in answers
    assert parsed == []
