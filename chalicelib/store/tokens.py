"""One-time tokens: only the SHA-256 of a token is stored, so a table dump opens nothing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.records import OneTimeToken
from chalicelib.store import tx
from chalicelib.store.models import TokenModel

MAX_TOKEN_LENGTH = 200  # longer was never handed out; never sent to DynamoDB


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new(kind: str, login: str, now: int, ttl_seconds: int) -> tuple[str, OneTimeToken]:
    """A fresh random token (returned once, for the link) and the value that stands for it."""
    token = secrets.token_urlsafe(32)
    return token, OneTimeToken(digest(token), kind, login, now + ttl_seconds)


def row(value: OneTimeToken) -> TokenModel:
    return TokenModel(
        value.token_hash,
        kind=value.kind,
        login=value.login,
        expires_at=value.expires_at,
        ttl=datetime.fromtimestamp(value.expires_at + 86400, UTC),
        used=False,
        failures=0,
    )


def spendable(now: int, login: str | None = None) -> Any:
    """The condition under which a token may be spent now (unused, unexpired, and `login`'s)."""
    condition = (TokenModel.used == False) & (TokenModel.expires_at > now)  # noqa: E712 - a PynamoDB condition
    return condition & (TokenModel.login == login) if login else condition


def save(value: OneTimeToken) -> None:
    item = row(value)
    tx.retrying(lambda: item.save(condition=TokenModel.token_hash.does_not_exist()), what="token")


def get(token: str) -> OneTimeToken | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        row = TokenModel.get(digest(token), consistent_read=True)
    except DoesNotExist:
        return None
    return OneTimeToken(row.token_hash, row.kind, row.login, int(row.expires_at), bool(row.used))


def failures(token: str) -> int:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return 0
    try:
        return int(TokenModel.get(digest(token), consistent_read=True).failures or 0)
    except DoesNotExist:
        return 0


def count_failure(token: str) -> int:
    """One more wrong code on an MFA step token (atomic ADD); returns the new count (0: no such token)."""
    item = TokenModel(digest(token))
    try:
        tx.retrying(
            lambda: item.update(actions=[TokenModel.failures.add(1)], condition=TokenModel.token_hash.exists()),
            what="token",
        )
    except tx.ConditionFailed:
        return 0
    return int(item.failures or 0)


def spend(token: str, now: int) -> bool:
    """Mark a token used if it is still unused and unexpired (single use under concurrency)."""
    try:
        tx.retrying(
            lambda: TokenModel(digest(token)).update(actions=[TokenModel.used.set(True)], condition=spendable(now)),
            what="token",
        )
    except tx.ConditionFailed:
        return False
    return True
