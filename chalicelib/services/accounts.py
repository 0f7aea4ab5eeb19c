"""Everyone's own account: set a password from a mailed link, ask for a reset link.

Flow of a link: an admin invites (services/admin.py) or a user asks for a reset
→ a random token is mailed, only its hash stored, and it becomes the login's one
live link (every older link of the login is dead) → `set_password` spends it
once, inside the same transaction as the new password (a used, expired, foreign,
superseded or tampered token changes nothing) → every session of the user ends.
An invitation or an admin's MFA re-enrolment (`reset-mfa`) gives staff and admin
a new TOTP secret, confirmed by their first accepted code (services/mfa.py); a
password reset never touches the second factor (issue 26: whoever reads the
mailbox must not own the authenticator too).

A reset request (issue 26) does the same work whoever it names: it is counted
per source (10 per 15 minutes, then 429) and queued as one event row; the
events trigger (`send_reset_link`) looks the login up afterwards, mails at most
3 links per login per hour, and mails an invited user their invitation again
(a staff or admin user whose second factor an admin reset, that re-enrolment).

Also which of an organisation's addresses a submission's notices may go to
(`registered_emails`, issue 15), for applications and reservations alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.domain import passwords, totp
from chalicelib.domain.accounts import TOKEN_TTL_SECONDS
from chalicelib.domain.errors import FieldError, TooManyAttempts, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Account, OneTimeToken
from chalicelib.services import account_mail
from chalicelib.services.auth import hash_password, source_id
from chalicelib.store import accounts as accounts_store
from chalicelib.store import attempts, events, sessions, tokens

_BAD_TOKEN = FieldError("token", "このリンクは無効か、有効期限が切れています。もう一度お手続きください。")
SETUP_KINDS = ("invitation", "reset", "mfa_reset")
#: The links that enrol a new authenticator (staff and admin); a reset link never does.
ENROLLING_KINDS = ("invitation", "mfa_reset")
#: Reset requests from one source: 10 in 15 minutes, then 429 whatever the login.
RESET_SOURCE_POLICY = attempts.Policy(limit=10, window_seconds=15 * 60, lock_seconds=15 * 60)
#: Reset mails to one login: 3 an hour; over it the request is answered the same, and no mail goes.
RESET_MAIL_POLICY = attempts.Policy(limit=3, window_seconds=3600, lock_seconds=3600)
_RESET_LOCKED = FieldError("login", "再設定のお申し出が続いたため、しばらくしてからお試しください。")


@dataclass(frozen=True)
class PasswordSet:
    login: str
    totp_uri: str | None  # staff/admin: the authenticator to enrol (shown once, as text and QR)
    totp_secret: str | None
    role: str = ""  # the user's role: the set-up page offers that portal's login only


def _live(token: str) -> tuple[OneTimeToken, Account]:
    """The token and its user, or a 400 on `token` (unknown, used, expired, superseded by a newer
    link of the login, or its user disabled)."""
    found = tokens.get(token)
    if found is None or found.used or found.kind not in SETUP_KINDS or found.expires_at <= int(time.time()):
        raise ValidationFailed([_BAD_TOKEN])
    user = accounts_store.get(found.login)
    if user is None or user.status == "disabled" or user.link_hash not in (None, found.token_hash):
        raise ValidationFailed([_BAD_TOKEN])
    return found, user


def check_token(token: str) -> str:
    """The login a set-up token is for, or a 400 on `token` (unknown, used, expired, superseded)."""
    return _live(token)[0].login


def set_password(token: str, password: str) -> PasswordSet:
    found, user = _live(token)
    login = user.login
    problems = passwords.problems(password, login, org_name=user.org_name)
    if problems:
        raise ValidationFailed(problems)

    # Only an invitation or an admin's MFA reset enrols an authenticator; a reset link sets the
    # password and leaves the second factor as it is.
    secret = totp.new_secret() if user.needs_mfa and found.kind in ENROLLING_KINDS else None
    if not accounts_store.set_password(login, hash_password(password), tokens.digest(token), int(time.time()), secret):
        raise ValidationFailed([_BAD_TOKEN])
    sessions.end_all(login)  # a new password ends every session of the login
    logs.info("password_set", login=login)
    uri = totp.provisioning_uri(secret, login) if secret else None
    return PasswordSet(login, uri, secret, user.role)


def request_reset(login: str, source: str | None = None) -> None:
    """Queue a reset link for `login`; the same work whether or not the login exists.

    Counted per source first (TooManyAttempts past 10 in 15 minutes), then one event row
    (events trigger → `send_reset_link`). No account is read here: the caller answers the same
    body and status, after the same calls, whatever the login, so neither the answer nor its
    timing tells whether a login exists.
    """
    counter = attempts.Counter(f"reset-source:{source_id(source)}", RESET_SOURCE_POLICY)
    reservation = attempts.reserve([counter])
    if reservation.ticket is None:
        raise TooManyAttempts(reservation.retry_after, [_RESET_LOCKED])
    login = login.strip()
    if login and len(login) <= accounts_store.MAX_LOGIN_LENGTH:
        events.queue(events.Event(kind="password_reset", login=login))


def _link_kind(user: Account) -> str:
    """What a reset request mails: an invited user's invitation again; a staff or admin user whose
    second factor an admin reset, that re-enrolment again; everyone else a reset link."""
    if user.status == "invited" or not user.password_hash:
        return "invitation"
    if user.needs_mfa and not user.totp_secret:
        return "mfa_reset"
    return "reset"


def send_reset_link(login: str) -> str:
    """The events trigger's half of a reset request: sent | not_wanted | limited.

    Mails the link when the login exists, can log in and has an address, at most 3 a login an
    hour (the counter is counted before the mail, so a redelivered event never sends more).
    The new link is the login's only live one: every older link is dead from now on."""
    user = accounts_store.get(login)
    if user is None or user.status == "disabled" or not user.email:
        return "not_wanted"
    counter = attempts.Counter(f"reset-mail:{user.login}", RESET_MAIL_POLICY)
    if attempts.reserve([counter]).ticket is None:
        logs.info("reset_mail_limited", login=user.login)
        return "limited"
    kind = _link_kind(user)
    token, value = tokens.new(kind, user.login, int(time.time()), TOKEN_TTL_SECONDS[kind])
    if not accounts_store.issue_link(user.login, value):
        return "not_wanted"
    return "sent" if account_mail.send_link(user, kind, token) else "not_wanted"


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
