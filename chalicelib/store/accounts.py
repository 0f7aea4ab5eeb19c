"""Accounts (users): read by login, listed by organisation, role or the whole directory.

An admin's writes go in one transaction with their audit record (store/audit.py,
store/tx.py). Rows written before issue 13 lack `status`, `name`, `directory`
and the TOTP fields; they read as active (invited while they have no password),
named after their organisation. Ending a user's sessions is store/sessions.py's.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.records import Account, OneTimeToken
from chalicelib.store import audit, paging, sealed, tokens, tx
from chalicelib.store.models import AccountModel, CounterModel, TokenModel

MAX_LOGIN_LENGTH = 128  # longer cannot be a login; never sent to DynamoDB
#: The counters row holding how many admins are not disabled (issue 26): disabling one is
#: conditioned on it being at least 2, so two admins disabling each other at once leave one.
ADMINS_COUNTER = "admins-not-disabled"
#: The one partition of the `by_directory` index that holds every account.
DIRECTORY = "user"


def _record(row: AccountModel) -> Account:
    return Account(
        login=row.login,
        role=row.role,
        org_id=row.org_id,
        org_name=row.org_name,
        password_hash=row.password_hash,
        email=row.email,
        name=row.name or row.org_name,
        status=row.status or ("active" if row.password_hash else "invited"),
        totp_secret=row.totp_secret,
        totp_confirmed=bool(row.totp_confirmed),
        totp_last_step=int(row.totp_last_step or 0),
        link_hash=row.link_hash,
        department_id=row.department_id,
    )


def _sealed(secret: str | None, login: str) -> str | None:
    return sealed.seal(secret, login) if secret and not sealed.is_sealed(secret) else secret


def totp_secret(account: Account) -> str | None:
    """The account's TOTP secret in plain (base32): opened from its sealed form (store/sealed.py),
    or as stored on a row written before issue 26. `Account.totp_secret` is the stored form."""
    return sealed.open_value(account.totp_secret, account.login)


def _row(account: Account) -> AccountModel:
    return AccountModel(
        account.login,
        role=account.role,
        org_id=account.org_id,
        org_name=account.org_name,
        email=account.email,
        password_hash=account.password_hash,
        name=account.name or account.org_name,
        status=account.status,
        totp_secret=_sealed(account.totp_secret, account.login),
        totp_confirmed=account.totp_confirmed,
        totp_last_step=account.totp_last_step,
        directory=DIRECTORY,
        department_id=account.department_id,
    )


def get(login: str) -> Account | None:
    """The account, or None when there is no such login.

    Strongly consistent: a password set, an account disabled or a TOTP step
    accepted a moment ago must count on the very next login."""
    if not login or len(login) > MAX_LOGIN_LENGTH:
        return None
    try:
        return _record(AccountModel.get(login, consistent_read=True))
    except DoesNotExist:
        return None


def put(account: Account) -> None:
    """Create or replace an account outright (the demo seed)."""
    _row(account).save()


def _admins_counted() -> None:
    """Make the admins counter exist: rows written before issue 26 have none, so the first
    admin write counts the admins that are not disabled (a put that only the first one wins)."""
    try:
        CounterModel.get(ADMINS_COUNTER, consistent_read=True)
        return
    except DoesNotExist:
        pass
    n = sum(1 for row in AccountModel.by_role.query("admin") if (row.status or "active") != "disabled")
    row = CounterModel(ADMINS_COUNTER, value=n)
    try:
        tx.retrying(lambda: row.save(condition=CounterModel.name.does_not_exist()), what="counter")
    except tx.ConditionFailed:
        pass  # another write counted them first


def create(account: Account, token: OneTimeToken, entry: AuditEntry | None) -> bool:
    """The account, its invitation token and the audit record in one transaction.
    False when the login is taken (nothing is written)."""
    writes = tx.Writes()
    if account.role == "admin":
        _admins_counted()
        writes.update(CounterModel(ADMINS_COUNTER), [CounterModel.value.add(1)])
    row = _row(account)
    row.link_hash = token.token_hash
    writes.put(row, condition=AccountModel.login.does_not_exist())
    writes.put(tokens.row(token), condition=TokenModel.token_hash.does_not_exist())
    if entry:
        audit.add(writes, entry)
    try:
        tx.commit(writes, what="account")
    except tx.ConditionFailed:
        return False
    return True


def set_department(login: str, department_id: str | None, entry: AuditEntry) -> bool:
    """Bind an orderer user to a department (None: unbind), with its audit record; False when the
    login is not an orderer user."""
    action = AccountModel.department_id.set(department_id) if department_id else AccountModel.department_id.remove()
    writes = tx.Writes().update(
        AccountModel(login), [action], condition=AccountModel.login.exists() & (AccountModel.role == "orderer")
    )
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="account")
    except tx.ConditionFailed:
        return False
    return True


def set_status(login: str, status: str, entry: AuditEntry, *, was: Account | None = None) -> bool:
    """Disable or enable an account, with its audit record. False when there is no such login, or
    — for an admin (`was`, the account as read) — when disabling them would leave no admin that is
    not disabled (one conditional write on the admins counter: of two admins disabling each other
    at once, one wins), or when the account changed since it was read."""
    writes = tx.Writes()
    condition = AccountModel.login.exists()
    if was is not None and was.role == "admin" and (was.status == "disabled") != (status == "disabled"):
        _admins_counted()
        not_disabled = AccountModel.status.does_not_exist() | (AccountModel.status != "disabled")
        if status == "disabled":
            condition = condition & not_disabled
            writes.update(CounterModel(ADMINS_COUNTER), [CounterModel.value.add(-1)], condition=CounterModel.value >= 2)
        else:
            condition = condition & (AccountModel.status == "disabled")
            writes.update(CounterModel(ADMINS_COUNTER), [CounterModel.value.add(1)])
    writes.update(AccountModel(login), [AccountModel.status.set(status)], condition=condition)
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="account")
    except tx.ConditionFailed:
        return False
    return True


def reset_mfa(login: str, token: OneTimeToken, entry: AuditEntry) -> bool:
    """Forget the TOTP secret (the user re-enrols with `token`), with its audit record."""
    writes = tx.Writes()
    writes.update(
        AccountModel(login),
        [
            AccountModel.totp_secret.remove(),
            AccountModel.totp_confirmed.set(False),
            AccountModel.link_hash.set(token.token_hash),  # every older link of this login is dead
        ],
        condition=AccountModel.login.exists(),
    )
    writes.put(tokens.row(token), condition=TokenModel.token_hash.does_not_exist())
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="account")
    except tx.ConditionFailed:
        return False
    return True


def issue_link(login: str, token: OneTimeToken) -> bool:
    """Store a new set-up link's token and make it the login's only live link, in one transaction
    (every older invitation or reset link of the login is spent by it). False: no such login."""
    writes = tx.Writes()
    writes.put(tokens.row(token), condition=TokenModel.token_hash.does_not_exist())
    writes.update(
        AccountModel(login), [AccountModel.link_hash.set(token.token_hash)], condition=AccountModel.login.exists()
    )
    try:
        tx.commit(writes, what="account")
    except tx.ConditionFailed:
        return False
    return True


#: What `link_hash` becomes once its link is used: no link of the login works until a new one.
SPENT = "spent"


def set_password(login: str, password_hash: str, token_hash: str, now: int, totp_secret: str | None) -> bool:
    """Spend a one-time token and set the password (and a new TOTP secret) in one transaction.

    The token must be unused, unexpired, this user's and the user's live link (`link_hash`:
    a newer link spends the older ones); otherwise nothing changes and the answer is False.
    Using it spends every other link of the login. A new TOTP secret (an invitation or an MFA
    re-enrolment only, never a reset) is unconfirmed until its first accepted code, and its last
    accepted step starts again from zero.
    """
    actions = [AccountModel.password_hash.set(password_hash), AccountModel.link_hash.set(SPENT)]
    if totp_secret:
        actions += [
            AccountModel.totp_secret.set(sealed.seal(totp_secret, login)),  # encrypted at rest (issue 26)
            AccountModel.totp_confirmed.set(False),
            AccountModel.totp_last_step.set(0),
        ]
    writes = tx.Writes()
    writes.update(TokenModel(token_hash), [TokenModel.used.set(True)], condition=tokens.spendable(now, login))
    live = AccountModel.link_hash.does_not_exist() | (AccountModel.link_hash == token_hash)
    writes.update(AccountModel(login), actions, condition=AccountModel.login.exists() & live)
    try:
        tx.commit(writes, what="password")
    except tx.ConditionFailed:
        return False
    _activate(login)
    return True


def _activate(login: str) -> None:
    """An invited user becomes active once they have a password; a disabled one stays disabled."""
    invited = AccountModel.status.does_not_exist() | (AccountModel.status == "invited")
    try:
        tx.retrying(
            lambda: AccountModel(login).update(actions=[AccountModel.status.set("active")], condition=invited),
            what="account",
        )
    except tx.ConditionFailed:
        pass  # not invited (active already, or disabled): nothing to do


def seal_plain_secrets() -> int:
    """Seal every TOTP secret still stored in plain (rows written before issue 26): one
    conditional update per row (only if the row still holds that plain value). Returns how many."""
    done = 0
    for role in ("staff", "admin"):
        for row in AccountModel.by_role.query(role):
            plain = row.totp_secret
            if not plain or sealed.is_sealed(plain):
                continue
            value = sealed.seal(plain, row.login)
            try:
                tx.retrying(
                    lambda r=row, v=value, p=plain: AccountModel(r.login).update(
                        actions=[AccountModel.totp_secret.set(v)], condition=AccountModel.totp_secret == p
                    ),
                    what="account",
                )
                done += 1
            except tx.ConditionFailed:
                pass  # changed meanwhile (a re-enrolment writes it sealed)
    return done


def accept_totp_step(login: str, step: int) -> bool:
    """Record `step` as the last accepted TOTP step, only if it is later than the one before:
    a conditional write, so two concurrent uses of one code cannot both pass."""
    later = AccountModel.totp_last_step.does_not_exist() | (AccountModel.totp_last_step < step)
    actions = [AccountModel.totp_last_step.set(step), AccountModel.totp_confirmed.set(True)]
    try:
        tx.retrying(lambda: AccountModel(login).update(actions=actions, condition=later), what="totp")
    except tx.ConditionFailed:
        return False
    return True


def list_accounts(
    *, org_id: str | None, role: str | None, limit: int, cursor: str | None
) -> tuple[list[Account], str | None]:
    """Accounts by login: one Query on the org's, the role's or the whole directory's partition."""

    def keep(account: Account) -> bool:
        return (not role or account.role == role) and (not org_id or account.org_id == org_id)

    def run(start: dict[str, Any] | None, size: int) -> Any:
        if org_id:
            return AccountModel.by_org.query(org_id, limit=size, last_evaluated_key=start)
        if role:
            return AccountModel.by_role.query(role, limit=size, last_evaluated_key=start)
        return AccountModel.by_directory.query(DIRECTORY, limit=size, last_evaluated_key=start)

    return paging.page(run, limit, cursor, keep, convert=_record)


def logins_of_org(org_id: str) -> list[str]:
    return [row.login for row in AccountModel.by_org.query(org_id)]


def emails_of_org(org_id: str) -> frozenset[str]:
    """The addresses of the organisation's active users, lower-cased (one Query on `by_org`)."""
    return frozenset(
        row.email.lower()
        for row in AccountModel.by_org.query(org_id)
        if row.email and (row.status or ("active" if row.password_hash else "invited")) == "active"
    )


def any_with_role(role: str) -> bool:
    """Is there an account of `role` that is not disabled? (A disabled admin does not count.)"""
    return any((row.status or "active") != "disabled" for row in AccountModel.by_role.query(role))
