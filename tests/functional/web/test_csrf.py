"""CSRF on cookie sessions: a form post needs its token, an API call its header; a bearer token needs neither."""

from __future__ import annotations

import re

from tests.functional.conftest import DEMO, browser_login


def test_cookie_form_post_without_csrf_is_refused(client):
    session, html = browser_login(client, "netdesk", *DEMO["contractor"])
    cookie = {"Cookie": f"esurety_session={session}", "Content-Type": "application/x-www-form-urlencoded"}
    refused = client.http.post("/netdesk/logout", headers=cookie, body="")
    assert refused.status_code == 403
    wrong = client.http.post("/netdesk/logout", headers=cookie, body="csrf_token=deadbeef")
    assert wrong.status_code == 403
    # Still logged in: the refused posts changed nothing.
    assert client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    ok = client.http.post("/netdesk/logout", headers=cookie, body=f"csrf_token={csrf}")
    assert ok.status_code == 303
    assert client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).status_code == 303


def test_cookie_api_call_needs_csrf_header_bearer_does_not(client):
    session, html = browser_login(client, "netdesk", *DEMO["contractor"])
    cookie = {"Cookie": f"esurety_session={session}"}
    assert client.http.delete("/api/session", headers=cookie).status_code == 403
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.http.delete("/api/session", headers={**cookie, "X-CSRF-Token": csrf}).status_code == 204
