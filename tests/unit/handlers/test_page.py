"""handlers/page.py: the session cookie."""

from __future__ import annotations


def test_session_cookie_is_secure_outside_local(monkeypatch):
    from chalicelib.handlers.page import session_cookie

    monkeypatch.setenv("STAGE", "local")
    local = session_cookie("tok", 60)
    assert "HttpOnly" in local and "SameSite=Lax" in local and "Secure" not in local
    monkeypatch.setenv("STAGE", "prod")
    assert session_cookie("tok", 60).endswith("; Secure")
