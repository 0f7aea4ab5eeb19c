"""Log in, authenticate a token, log out; CSRF tokens bound to the session.

Tokens are JWTs (HS256, PyJWT) naming a row in the sessions table: the
signature and `exp` stop forgeries and stale tokens without a read, and the row
makes logout immediate.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chalicelib import settings
from chalicelib.domain.errors import FieldError, TooManyAttempts, Unauthenticated
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Account, SessionRecord
from chalicelib.store import accounts, attempts, sessions

#: One source on one login: 5 failures lock that source out of that login for 15 minutes.
LOGIN_POLICY = attempts.Policy(limit=5, window_seconds=15 * 60, lock_seconds=15 * 60)
#: One source on every login: 30 failures in 15 minutes lock the source out (password spraying).
SOURCE_POLICY = attempts.Policy(limit=30, window_seconds=15 * 60, lock_seconds=15 * 60)
#: One login from every source: 50 failures in a day soft-lock it for an hour — sources that
#: have logged in to it successfully before still get their own tries (SECURITY.md).
ACCOUNT_POLICY = attempts.Policy(limit=50, window_seconds=24 * 3600, lock_seconds=3600)
LOCKED_MESSAGE = "ログインの失敗が続いたため、一時的にロックしています。"
_HASHER = PasswordHasher()  # argon2id with the library's current defaults


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so both paths cost the same time.
    Made on first need, not at import: hashing is deliberately slow (cold start)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


_BAD_LOGIN = FieldError("", "ログインIDまたはパスワードが正しくありません。")


@dataclass(frozen=True)
class LoginResult:
    token: str
    principal: Principal
    expires_at: int


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _source_id(source: str | None) -> str:
    """A source address as the counters keep it: keyed-hashed, so no IP address is stored."""
    mac = hmac.new(settings.signing_secret(), f"source|{source or 'unknown'}".encode(), hashlib.sha256)
    return mac.hexdigest()[:20]


def login_counters(login_id: str, source: str | None) -> list[attempts.Counter]:
    """What one login attempt is counted against: the (login, source) pair, the source, the login."""
    who, src = login_id[:128], _source_id(source)
    return [
        attempts.Counter(f"login:{who}", LOGIN_POLICY, reset=True)
        if source is None
        else attempts.Counter(f"login:{who}@{src}", LOGIN_POLICY, reset=True),
        attempts.Counter(f"login-source:{src}", SOURCE_POLICY),
        attempts.Counter(f"login-account:{who}", ACCOUNT_POLICY, trusted=src),
    ]


def login(login_id: str, password: str, *, source: str | None = None, role: str | None = None) -> LoginResult:
    """Check a password; a session on success, Unauthenticated / TooManyAttempts otherwise.

    The attempt is counted (store/attempts.py) BEFORE the password is checked,
    so parallel guesses never get more tries than the limit. `source` is the
    caller's address as API Gateway saw it; `role`, when given, is the role
    the portal serves: another role's account answers exactly like a wrong
    password (no oracle), and opens no session.
    """
    counters = login_counters(login_id, source)
    reservation = attempts.reserve(counters)
    if reservation.ticket is None:
        raise TooManyAttempts(reservation.retry_after, [FieldError("", LOCKED_MESSAGE)])
    account = accounts.get(login_id[:128]) if login_id else None
    try:
        _HASHER.verify(account.password_hash if account else _dummy_hash(), password)
        ok = account is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or account is None or (role is not None and account.role != role):
        if attempts.remaining(counters[0].key, LOGIN_POLICY) == 0:  # this failure filled the pair
            raise TooManyAttempts(LOGIN_POLICY.lock_seconds, [FieldError("", LOCKED_MESSAGE)])
        raise Unauthenticated([_BAD_LOGIN])
    attempts.settle_success(reservation.ticket)
    return _open_session(account)


def remaining_tries(login_id: str, source: str | None = None) -> int:
    """How many more wrong passwords this source may send for `login_id` before it locks."""
    pair = login_counters(login_id, source)[0]
    return attempts.remaining(pair.key, pair.policy)


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
    claims = {"sid": sid, "sub": account.login, "role": account.role, "iat": now, "exp": exp}
    token = jwt.encode(claims, settings.signing_secret(), algorithm="HS256")
    principal = Principal(account.login, account.role, account.org_id, account.org_name, sid)
    return LoginResult(token, principal, exp)


def authenticate(token: str, via_cookie: bool = False) -> Principal | None:
    """The principal a token stands for, or None if it is forged, expired or logged out."""
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
