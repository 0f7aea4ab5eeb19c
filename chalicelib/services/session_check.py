"""The session check every signed-in request makes, and the CSRF tokens bound to a session.

This is the one service `import app` loads (tests/unit/test_app.py): logging in, with the
lockout counters, accounts and audit behind it, is services/auth.py's and loads on the
first login. A token is a JWT (HS256, domain/hs256.py) naming a row in the sessions
table: the signature and `exp` stop forgeries and stale tokens without a read, and the
row makes logout immediate.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from chalicelib import settings
from chalicelib.domain import constant_time, hs256
from chalicelib.domain.principal import Principal
from chalicelib.store import sessions


def authenticate(token: str, via_cookie: bool = False) -> Principal | None:
    """The principal a token stands for, or None if it is forged, expired or logged out."""
    try:
        claims = hs256.decode(token, settings.signing_secret(), require=("exp", "sid", "sub"))
    except hs256.InvalidToken:
        return None
    row = sessions.get(str(claims["sid"]))
    if row is None or row.login != claims["sub"] or row.expires_at <= time.time():
        return None
    return Principal(row.login, row.role, row.org_id, row.org_name, row.session_id, via_cookie, email=row.email)


def csrf_token(session_id: str) -> str:
    """Bound to the session: useless to anyone who cannot already read the session."""
    mac = hmac.new(settings.signing_secret(), f"csrf|{session_id}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_valid(session_id: str, candidate: str | None) -> bool:
    return bool(candidate) and constant_time.equal(str(candidate), csrf_token(session_id))


def anonymous_csrf_token(nonce: str) -> str:
    """For the login forms, before there is a session: paired with a nonce cookie."""
    mac = hmac.new(settings.signing_secret(), f"login-csrf|{nonce}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_valid_anonymous(nonce: str, candidate: str | None) -> bool:
    return bool(candidate) and constant_time.equal(str(candidate), anonymous_csrf_token(nonce))
