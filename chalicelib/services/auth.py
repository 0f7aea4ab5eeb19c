"""Log in (password, lockout counters, MFA hand-off) and log out.

Tokens are JWTs (HS256, domain/hs256.py) naming a row in the sessions table: the
signature and `exp` stop forgeries and stale tokens without a read, and the row
makes logout immediate. Checking a token and the CSRF tokens bound to a session
are services/session_check.py's: every signed-in request makes that check, so it
loads with `app`, and this module (with the counters and accounts behind it)
loads on the first login.
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
from chalicelib.domain import hs256
from chalicelib.domain.accounts import TOKEN_TTL_SECONDS
from chalicelib.domain.errors import FieldError, TooManyAttempts, Unauthenticated
from chalicelib.domain.principal import Principal, SessionRecord
from chalicelib.domain.records import Account
from chalicelib.store import accounts, attempts, organisations, sessions, tokens

#: One source on one login: 5 failures lock that source out of that login for 15 minutes.
LOGIN_POLICY = attempts.Policy(limit=5, window_seconds=15 * 60, lock_seconds=15 * 60)
#: One source on every login: 30 failures in 15 minutes lock the source out (password spraying).
SOURCE_POLICY = attempts.Policy(limit=30, window_seconds=15 * 60, lock_seconds=15 * 60)
#: One login from every source: 50 failures in a day soft-lock it for an hour — sources that
#: have logged in to it successfully before still get their own tries (SECURITY.md).
ACCOUNT_POLICY = attempts.Policy(limit=50, window_seconds=24 * 3600, lock_seconds=3600)
LOCKED_MESSAGE = "ログインの失敗が続いたため、一時的にロックしています。"


@functools.lru_cache(maxsize=2)
def _hasher_for(cheap: bool) -> Any:
    """argon2id; PyJWT and argon2 stay off `import app` (imported on first use)."""
    from argon2 import PasswordHasher, profiles  # argon2 stays off `import app` (cold start)

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


@dataclass(frozen=True)
class MfaChallenge:
    """Staff and admin: the password was right, a TOTP code is still due (services/mfa.py)."""

    mfa_token: str
    login: str
    role: str


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def source_id(source: str | None) -> str:
    """A source address as the counters keep it: keyed-hashed, so no IP address is stored."""
    mac = hmac.new(settings.signing_secret(), f"source|{source or 'unknown'}".encode(), hashlib.sha256)
    return mac.hexdigest()[:20]


def login_counters(login_id: str, source: str | None) -> list[attempts.Counter]:
    """What one login attempt is counted against: the (login, source) pair, the source, the login."""
    who, src = login_id[:128], source_id(source)
    return [
        attempts.Counter(f"login:{who}", LOGIN_POLICY, reset=True)
        if source is None
        else attempts.Counter(f"login:{who}@{src}", LOGIN_POLICY, reset=True),
        attempts.Counter(f"login-source:{src}", SOURCE_POLICY),
        attempts.Counter(f"login-account:{who}", ACCOUNT_POLICY, trusted=src),
    ]


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    """Does `secret` match `secret_hash` (a password or a machine client's secret)?

    With no hash (unknown login or client, invited user) a dummy hash is verified
    instead, so the answer takes as long either way."""
    from argon2.exceptions import InvalidHashError, VerificationError  # argon2 stays off `import app`

    try:
        _hasher().verify(secret_hash or _dummy_hash(), secret)
    except (VerificationError, InvalidHashError):
        return False
    return bool(secret_hash)


def login(
    login_id: str, password: str, *, source: str | None = None, role: str | None = None
) -> LoginResult | MfaChallenge:
    """A session, or for staff and admin an MFA challenge: no password alone opens theirs.

    The attempt is counted (store/attempts.py) BEFORE the password is checked,
    so parallel guesses never get more tries than the limit. `source` is the
    caller's address as API Gateway saw it; `role`, when given, is the role
    the portal serves: another role's account answers exactly like a wrong
    password (no oracle), and opens no session. A disabled user or organisation
    (issue 13) also answers like a wrong password.
    """
    counters = login_counters(login_id, source)
    reservation = attempts.reserve(counters)
    if reservation.ticket is None:
        raise TooManyAttempts(reservation.retry_after, [FieldError("", LOCKED_MESSAGE)])
    account = accounts.get(login_id[:128]) if login_id else None
    ok = verify_secret(account.password_hash if account else None, password)
    ok = ok and account is not None and _may_log_in(account)
    if not ok or account is None or (role is not None and account.role != role):
        if attempts.remaining(counters[0].key, LOGIN_POLICY) == 0:  # this failure filled the pair
            raise TooManyAttempts(LOGIN_POLICY.lock_seconds, [FieldError("", LOCKED_MESSAGE)])
        raise Unauthenticated([_BAD_LOGIN])
    attempts.settle_success(reservation.ticket)
    if account.needs_mfa:
        return MfaChallenge(_mfa_challenge(account.login), account.login, account.role)
    return _open_session(account)


def _mfa_challenge(login: str) -> str:
    """The one-time mfa_token the second step (services/mfa.py) takes with a TOTP code: it lives
    5 minutes and only its hash is stored."""
    token, value = tokens.new("mfa", login, int(time.time()), TOKEN_TTL_SECONDS["mfa"])
    tokens.save(value)
    return token


def _may_log_in(account: Account) -> bool:
    """Issue 13: a disabled user, or a user of a disabled organisation, cannot log in;
    staff and admin need an enrolled TOTP secret."""
    if account.status == "disabled":
        return False
    if account.needs_mfa and not account.totp_secret:
        return False
    org = organisations.get(account.org_id)
    return not (org is not None and org.disabled)


def open_session_after_mfa(login_id: str) -> LoginResult | None:
    """The session a completed second step opens (services/mfa.py checked the code)."""
    account = accounts.get(login_id)
    if account is None or not _may_log_in(account):
        return None
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
            email=account.email,
        )
    )
    claims = {"sid": sid, "sub": account.login, "role": account.role, "iat": now, "exp": exp}
    token = hs256.encode(claims, settings.signing_secret())
    principal = Principal(account.login, account.role, account.org_id, account.org_name, sid, email=account.email)
    return LoginResult(token, principal, exp)


def logout(principal: Principal) -> None:
    sessions.delete(principal.session_id)


def contact_email(login_id: str) -> str | None:
    """The account's own mail address (to prefill forms), None when it has none."""
    account = accounts.get(login_id)
    return account.email if account and account.email else None
