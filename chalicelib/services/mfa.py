"""The second step of a staff or admin login (API.md "Accounts: MFA").

The first step (services/auth.py `login`) hands out a one-time mfa_token (5
minutes, only its hash stored); `complete` takes it with a TOTP code and opens
the session. The rules:
- a code is accepted once per user: its time step must be later than the last
  accepted one (a conditional write), so a replay or an earlier code fails;
- every wrong code counts on the token and on the user: the 5th wrong code on a
  token spends it (429 from then on), and 10 within 15 minutes lock the user (429);
- the first accepted code confirms the enrolment made at account set-up.
Nothing switches MFA off.
"""

from __future__ import annotations

import time

from chalicelib import logs
from chalicelib.domain import totp
from chalicelib.domain.errors import FieldError, TooManyAttempts, Unauthenticated
from chalicelib.services import auth
from chalicelib.store import accounts, attempts, tokens

TOKEN_FAILURES = 5
USER_POLICY = attempts.Policy(limit=10, window_seconds=15 * 60, lock_seconds=15 * 60)

_BAD_CODE = FieldError("code", "確認コードが正しくありません。")
_BAD_TOKEN = FieldError("mfa_token", "もう一度ログインしてください。")
_SPENT = FieldError(
    "mfa_token", "確認コードの誤りが続いたため、この手続きは無効になりました。もう一度ログインしてください。"
)
_LOCKED = FieldError("code", "確認コードの誤りが続いたため、一時的にロックしています。")


def _user_key(login: str) -> str:
    return f"mfa:{login}"


def complete(mfa_token: str, code: str) -> auth.LoginResult:
    now = int(time.time())
    found = tokens.get(mfa_token)
    if found is None or found.kind != "mfa" or found.used or found.expires_at <= now:
        raise Unauthenticated([_BAD_TOKEN])
    if tokens.failures(mfa_token) >= TOKEN_FAILURES:
        raise TooManyAttempts(max(1, found.expires_at - now), [_SPENT])
    # Counted BEFORE the code is checked (store/attempts.py): parallel guesses get no extra tries.
    counter = attempts.Counter(_user_key(found.login), USER_POLICY, reset=True)
    reservation = attempts.reserve([counter])
    if reservation.ticket is None:
        raise TooManyAttempts(reservation.retry_after, [_LOCKED])
    user = accounts.get(found.login)
    if user is None or not user.totp_secret or user.status == "disabled":
        raise Unauthenticated([_BAD_TOKEN])
    step = totp.matching_step(accounts.totp_secret(user) or "", code, now)
    accepted = step is not None and step > user.totp_last_step and accounts.accept_totp_step(user.login, step)
    if not accepted:
        tokens.count_failure(mfa_token)
        logs.info("mfa_failure", login=user.login)
        if attempts.remaining(counter.key, USER_POLICY) == 0:  # this failure filled the counter
            raise TooManyAttempts(USER_POLICY.lock_seconds, [_LOCKED])
        raise Unauthenticated([_BAD_CODE])
    if not tokens.spend(mfa_token, now):
        raise Unauthenticated([_BAD_TOKEN])
    attempts.settle_success(reservation.ticket)
    result = auth.open_session_after_mfa(user.login)
    if result is None:
        raise Unauthenticated([_BAD_TOKEN])
    return result
