"""Users (the accounts table) as `domain.accounts.User`, and ending a user's sessions.

Writes that an admin makes go through one transaction with their audit record
(`store/audit.py`). Rows written before issue 13 lack `status`, `name` and the
TOTP fields; they read as active, named after their organisation.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.accounts import OneTimeToken, User
from chalicelib.domain.audit import AuditEntry
from chalicelib.store import audit, paging, tokens, txn
from chalicelib.store.models import AccountModel, SessionModel, TokenModel

DIRECTORY = "user"


def _user(row: AccountModel) -> User:
    return User(
        login=row.login,
        role=row.role,
        org_id=row.org_id,
        org_name=row.org_name,
        name=row.name or row.org_name,
        email=row.email,
        status=row.status or ("active" if row.password_hash else "invited"),
        password_hash=row.password_hash,
        totp_secret=row.totp_secret,
        totp_confirmed=bool(row.totp_confirmed),
        totp_last_step=int(row.totp_last_step or 0),
    )


def get(login: str) -> User | None:
    if not login or len(login) > 128:
        return None
    try:
        return _user(AccountModel.get(login, consistent_read=True))
    except DoesNotExist:
        return None


def _row(user: User) -> AccountModel:
    return AccountModel(
        user.login,
        role=user.role,
        org_id=user.org_id,
        org_name=user.org_name,
        email=user.email,
        password_hash=user.password_hash,
        name=user.name,
        status=user.status,
        totp_secret=user.totp_secret,
        totp_confirmed=user.totp_confirmed,
        totp_last_step=user.totp_last_step,
        directory=DIRECTORY,
    )


def put(user: User) -> None:
    """Write a user outright (the demo seed and the first admin of a stage)."""
    _row(user).save()


def create(user: User, token: OneTimeToken, entry: AuditEntry | None) -> bool:
    """The user, their invitation token and the audit record in one transaction.
    False when the login is taken (nothing is written)."""

    def build(tx: Any) -> None:
        tx.save(_row(user), condition=AccountModel.login.does_not_exist())
        tx.save(tokens.row(token), condition=TokenModel.token_hash.does_not_exist())
        if entry:
            audit.add(tx, entry)

    try:
        txn.run(build)
    except txn.ConditionFailed:
        return False
    return True


def set_status(login: str, status: str, entry: AuditEntry) -> bool:
    """Disable or enable a user, with its audit record. False when there is no such user."""

    def build(tx: Any) -> None:
        tx.update(
            AccountModel(login),
            actions=[AccountModel.status.set(status)],
            condition=AccountModel.login.exists(),
        )
        audit.add(tx, entry)

    try:
        txn.run(build)
    except txn.ConditionFailed:
        return False
    return True


def reset_mfa(login: str, token: OneTimeToken, entry: AuditEntry) -> bool:
    """Forget the TOTP secret (the user re-enrols with `token`), with its audit record."""

    def build(tx: Any) -> None:
        tx.update(
            AccountModel(login),
            actions=[AccountModel.totp_secret.remove(), AccountModel.totp_confirmed.set(False)],
            condition=AccountModel.login.exists(),
        )
        tx.save(tokens.row(token), condition=TokenModel.token_hash.does_not_exist())
        audit.add(tx, entry)

    try:
        txn.run(build)
    except txn.ConditionFailed:
        return False
    return True


def set_password(login: str, password_hash: str, token_hash: str, now: int, totp_secret: str | None) -> bool:
    """Spend a one-time token and set the password (and a new TOTP secret) in one transaction.

    The token must be unused, unexpired and this user's; otherwise nothing changes
    and the answer is False. A new TOTP secret is unconfirmed until its first
    accepted code, and its last accepted step starts again from zero.
    """
    actions = [AccountModel.password_hash.set(password_hash)]
    if totp_secret:
        actions += [
            AccountModel.totp_secret.set(totp_secret),
            AccountModel.totp_confirmed.set(False),
            AccountModel.totp_last_step.set(0),
        ]

    def build(tx: Any) -> None:
        tx.update(
            TokenModel(token_hash),
            actions=[TokenModel.used.set(True)],
            condition=(TokenModel.used == False)  # noqa: E712 - a PynamoDB condition, not a comparison
            & (TokenModel.expires_at > now)
            & (TokenModel.login == login),
        )
        tx.update(AccountModel(login), actions=actions, condition=AccountModel.login.exists())

    try:
        txn.run(build)
    except txn.ConditionFailed:
        return False
    _activate(login)
    return True


def _activate(login: str) -> None:
    """An invited user becomes active once they have a password; a disabled one stays disabled."""
    try:
        AccountModel(login).update(
            actions=[AccountModel.status.set("active")],
            condition=AccountModel.status.does_not_exist() | (AccountModel.status == "invited"),
        )
    except Exception as exc:  # noqa: BLE001 - a failed condition means "not invited": nothing to do
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise


def accept_totp_step(login: str, step: int) -> bool:
    """Record `step` as the last accepted TOTP step, only if it is later than the one before:
    a conditional write, so two concurrent uses of one code cannot both pass."""
    try:
        AccountModel(login).update(
            actions=[AccountModel.totp_last_step.set(step), AccountModel.totp_confirmed.set(True)],
            condition=AccountModel.totp_last_step.does_not_exist() | (AccountModel.totp_last_step < step),
        )
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def list_users(
    *, org_id: str | None, role: str | None, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    """Users by login: one Query on the org's, the role's or the whole directory's partition."""

    def keep(row: AccountModel) -> bool:
        return (not role or row.role == role) and (not org_id or row.org_id == org_id)

    def run(start: dict[str, Any] | None, size: int) -> Any:
        if org_id:
            return AccountModel.by_org.query(org_id, limit=size, last_evaluated_key=start)
        if role:
            return AccountModel.by_role.query(role, limit=size, last_evaluated_key=start)
        return AccountModel.by_directory.query(DIRECTORY, limit=size, last_evaluated_key=start)

    rows, next_cursor = paging.page(run, limit, cursor, keep)
    return [_user(r) for r in rows], next_cursor


def logins_of_org(org_id: str) -> list[str]:
    return [row.login for row in AccountModel.by_org.query(org_id)]


def any_with_role(role: str) -> bool:
    return any(True for _ in AccountModel.by_role.query(role, limit=1))


def end_sessions(login: str, keep: str | None = None) -> int:
    """Delete every session of `login` (but `keep`): its tokens stop on their next request."""
    ended = 0
    for row in SessionModel.by_login.query(login):
        if row.session_id != keep:
            SessionModel(row.session_id).delete()
            ended += 1
    return ended
