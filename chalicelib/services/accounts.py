"""Everyone's own account: set a password from a mailed link, ask for a reset link.

Flow of a link: an admin invites (services/admin.py) or a user asks for a reset
→ a random token is mailed, only its hash stored → `set_password` spends it
once, inside the same transaction as the new password (a used, expired, foreign
or tampered token changes nothing) → every other session of the user ends.
Staff and admin get a new TOTP secret with it and confirm it by their first
accepted code (services/mfa.py).

Also which of an organisation's addresses a submission's notices may go to
(`registered_emails`, issue 15), for applications and reservations alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.domain import passwords, totp
from chalicelib.domain.accounts import TOKEN_TTL_SECONDS
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.services import account_mail
from chalicelib.services.auth import hash_password
from chalicelib.store import accounts as accounts_store
from chalicelib.store import sessions, tokens

_BAD_TOKEN = FieldError("token", "このリンクは無効か、有効期限が切れています。もう一度お手続きください。")
SETUP_KINDS = ("invitation", "reset", "mfa_reset")


@dataclass(frozen=True)
class PasswordSet:
    login: str
    totp_uri: str | None  # staff/admin: the authenticator to enrol (shown once, as text and QR)
    totp_secret: str | None


def check_token(token: str) -> str:
    """The login a set-up token is for, or a 400 on `token` (unknown, used, expired)."""
    found = tokens.get(token)
    if found is None or found.used or found.kind not in SETUP_KINDS or found.expires_at <= int(time.time()):
        raise ValidationFailed([_BAD_TOKEN])
    return found.login


def set_password(token: str, password: str) -> PasswordSet:
    login = check_token(token)
    user = accounts_store.get(login)
    if user is None or user.status == "disabled":
        raise ValidationFailed([_BAD_TOKEN])
    problems = passwords.problems(password, login)
    if problems:
        raise ValidationFailed(problems)

    secret = totp.new_secret() if user.needs_mfa else None
    if not accounts_store.set_password(login, hash_password(password), tokens.digest(token), int(time.time()), secret):
        raise ValidationFailed([_BAD_TOKEN])
    sessions.end_all(login)  # a new password ends every session made with the old one
    logs.info("password_set", login=login)
    uri = totp.provisioning_uri(secret, login) if secret else None
    return PasswordSet(login, uri, secret)


def request_reset(login: str) -> None:
    """Mail a reset link when the login exists and can log in; say nothing either way.

    The caller answers the same body and status whatever happens here, so the
    answer never tells whether a login exists.
    """
    user = accounts_store.get(login.strip())
    if user is None or user.status == "disabled" or not user.email:
        return
    token, value = tokens.new("reset", user.login, int(time.time()), TOKEN_TTL_SECONDS["reset"])
    tokens.save(value)
    account_mail.send_link(user, "reset", token)


def registered_emails(principal: Principal | None, body: dict) -> frozenset[str] | None:
    """The addresses an application's or reservation's notices may go to (None: no check, for a
    caller with no organisation of contractors, e.g. staff quoting a fee): the caller's own (from
    the session) when the body names it, else the organisation's active users' (one Query, only
    when the body names an address)."""
    delivery = body.get("delivery")
    email = delivery.get("email") if isinstance(delivery, dict) else None
    if principal is None or not (isinstance(email, str) and email.strip()):
        return None
    own = (principal.email or "").lower()
    if own and email.strip().lower() == own:
        return frozenset({own})
    return accounts_store.emails_of_org(principal.org_id)
