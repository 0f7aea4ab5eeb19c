"""Accounts (logins): read by login id."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.records import Account
from chalicelib.store.models import AccountModel

MAX_LOGIN_LENGTH = 128  # longer cannot be a login; never sent to DynamoDB


def _record(row: AccountModel) -> Account:
    return Account(
        login=row.login,
        role=row.role,
        org_id=row.org_id,
        org_name=row.org_name,
        password_hash=row.password_hash,
        email=row.email,
    )


def get(login: str) -> Account | None:
    """The account, or None when there is no such login."""
    if not login or len(login) > MAX_LOGIN_LENGTH:
        return None
    try:
        return _record(AccountModel.get(login))
    except DoesNotExist:
        return None


def put(account: Account) -> None:
    """Create or replace an account (seeding and administration)."""
    AccountModel(
        account.login,
        role=account.role,
        org_id=account.org_id,
        org_name=account.org_name,
        email=account.email,
        password_hash=account.password_hash,
    ).save()
