"""Log in, authenticate a token, log out; CSRF tokens bound to the session.

Tokens are JWTs (HS256, PyJWT) naming a row in the sessions table: the
signature and `exp` stop forgeries and stale tokens without a read, and the row
makes logout immediate.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib import settings
from chalicelib.domain.errors import FieldError, TooManyAttempts, Unauthenticated
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Account, SessionRecord
from chalicelib.store import accounts, attempts, sessions

LOGIN_POLICY = attempts.Policy(limit=5, window_seconds=15 * 60, lock_seconds=15 * 60)


@functools.lru_cache(maxsize=2)
def _hasher_for(cheap: bool) -> Any:
    """argon2id; PyJWT and argon2 stay off `import app` (imported on first use)."""
    from argon2 import PasswordHasher, profiles

    return PasswordHasher.from_parameters(profiles.CHEAPEST) if cheap else PasswordHasher()


def _hasher() -> Any:
    """The library's defaults, except on the local stage when PASSWORD_HASH_COST=cheapest (the test
    suite: each login costs ~0.1-0.8 s at full cost on its 2 cores). Never weaker on a deployed stage."""
    cheap = settings.current().is_local and os.environ.get("PASSWORD_HASH_COST") == "cheapest"
    return _hasher_for(cheap)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so both paths cost the same time.
    Made on first need, not at import: hashing is deliberately slow (cold start)."""
    return _hasher().hash(secrets.token_urlsafe(16))


_BAD_LOGIN = FieldError("", "ログインIDまたはパスワードが正しくありません。")


@dataclass(frozen=True)
class LoginResult:
    token: str
    principal: Principal
    expires_at: int


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def login(login_id: str, password: str) -> LoginResult:
    key = f"login:{login_id}"
    wait = attempts.retry_after(key)
    if wait:
        raise TooManyAttempts(wait, [FieldError("", "ログインの失敗が続いたため、一時的にロックしています。")])
    from argon2.exceptions import InvalidHashError, VerificationError

    account = accounts.get(login_id)
    try:
        _hasher().verify(account.password_hash if account else _dummy_hash(), password)
        ok = account is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        locked = attempts.register_failure(key, LOGIN_POLICY)
        if locked:
            raise TooManyAttempts(locked, [FieldError("", "ログインの失敗が続いたため、一時的にロックしています。")])
        raise Unauthenticated([_BAD_LOGIN])
    attempts.reset(key)
    return _open_session(account)


def _open_session(account: Account) -> LoginResult:
    s = settings.current()
    now = int(time.time())
    exp = now + s.session_ttl_seconds
    sid = secrets.token_urlsafe(24)
    sessions.create(
        SessionRecord(
            session_id=sid,
            login=account.login,
            role=account.role,
            org_id=account.org_id,
            org_name=account.org_name,
            created_at=datetime.fromtimestamp(now, UTC).isoformat(),
            expires_at=exp,
        )
    )
    import jwt

    claims = {"sid": sid, "sub": account.login, "role": account.role, "iat": now, "exp": exp}
    token = jwt.encode(claims, settings.signing_secret(), algorithm="HS256")
    principal = Principal(account.login, account.role, account.org_id, account.org_name, sid)
    return LoginResult(token, principal, exp)


def authenticate(token: str, via_cookie: bool = False) -> Principal | None:
    """The principal a token stands for, or None if it is forged, expired or logged out."""
    import jwt

    try:
        claims = jwt.decode(
            token,
            settings.signing_secret(),
            algorithms=["HS256"],
            options={"require": ["exp", "sid", "sub"]},
        )
    except jwt.PyJWTError:
        return None
    row = sessions.get(str(claims["sid"]))
    if row is None or row.login != claims["sub"] or row.expires_at <= time.time():
        return None
    return Principal(row.login, row.role, row.org_id, row.org_name, row.session_id, via_cookie)


def logout(principal: Principal) -> None:
    sessions.delete(principal.session_id)


def csrf_token(session_id: str) -> str:
    """Bound to the session: useless to anyone who cannot already read the session."""
    mac = hmac.new(settings.signing_secret(), f"csrf|{session_id}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_valid(session_id: str, candidate: str | None) -> bool:
    return bool(candidate) and hmac.compare_digest(csrf_token(session_id), str(candidate))


def anonymous_csrf_token(nonce: str) -> str:
    """For the login forms, before there is a session: paired with a nonce cookie."""
    mac = hmac.new(settings.signing_secret(), f"login-csrf|{nonce}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_valid_anonymous(nonce: str, candidate: str | None) -> bool:
    return bool(candidate) and hmac.compare_digest(anonymous_csrf_token(nonce), str(candidate))
