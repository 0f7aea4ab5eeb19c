"""One-time tokens: only the SHA-256 of a token is stored, so a table dump opens nothing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.accounts import OneTimeToken
from chalicelib.store.models import TokenModel


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


def save(value: OneTimeToken) -> None:
    row(value).save(condition=TokenModel.token_hash.does_not_exist())


def get(token: str) -> OneTimeToken | None:
    if not token or len(token) > 200:
        return None
    try:
        row = TokenModel.get(digest(token), consistent_read=True)
    except DoesNotExist:
        return None
    return OneTimeToken(row.token_hash, row.kind, row.login, int(row.expires_at), bool(row.used))


def failures(token: str) -> int:
    try:
        return int(TokenModel.get(digest(token), consistent_read=True).failures or 0)
    except DoesNotExist:
        return 0


def count_failure(token: str) -> int:
    """One more wrong code on an MFA step token (atomic ADD); returns the new count."""
    row = TokenModel(digest(token))
    try:
        row.update(actions=[TokenModel.failures.add(1)], condition=TokenModel.token_hash.exists())
    except UpdateError:
        return 0
    return int(row.failures or 0)


def spend(token: str, now: int) -> bool:
    """Mark a token used if it is still unused and unexpired (single use under concurrency)."""
    try:
        TokenModel(digest(token)).update(
            actions=[TokenModel.used.set(True)],
            condition=(TokenModel.used == False) & (TokenModel.expires_at > now),  # noqa: E712
        )
    except UpdateError:
        return False
    return True
