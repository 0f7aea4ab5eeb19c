"""The one HTTP middleware (handlers/middleware.py): security headers on every HTML answer."""

from __future__ import annotations

from tests.functional.conftest import DEMO, bearer, login


def test_every_html_response_has_security_headers(client):
    for path in ("/netdesk/login", "/dsure/login", "/staff/login", "/dev/outbox"):
        resp = client.http.get(path)
        assert resp.headers["Content-Type"].startswith("text/html")
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"]
    error = client.http.get("/staff", headers=bearer(login(client, *DEMO["kasama"])["token"]))
    assert error.status_code == 403 and "Content-Security-Policy" in error.headers
