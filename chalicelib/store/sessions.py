"""Sessions: one row per live login; deleting it is logout, its TTL clears stale ones.

`end_all(login)` deletes every session of one user at once (the `by_login`
index): disabling a user or organisation, a new password and an MFA reset end
them, and the user's tokens stop on their next request.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.principal import SessionRecord
from chalicelib.store.models import SessionModel


def create(record: SessionRecord) -> None:
    SessionModel(
        record.session_id,
        login=record.login,
        role=record.role,
        org_id=record.org_id,
        org_name=record.org_name,
        created_at=record.created_at,
        expires_at=datetime.fromtimestamp(record.expires_at, UTC),
        email=record.email,
    ).save()


def get(session_id: str) -> SessionRecord | None:
    """The session, or None when it never existed or was logged out."""
    if not session_id:
        return None
    try:
        row = SessionModel.get(session_id)
    except DoesNotExist:
        return None
    return SessionRecord(
        session_id=row.session_id,
        login=row.login,
        role=row.role,
        org_id=row.org_id,
        org_name=row.org_name,
        created_at=row.created_at,
        expires_at=int(row.expires_at.timestamp()),
        email=row.email,
    )


def delete(session_id: str) -> None:
    SessionModel(session_id).delete()


def end_all(login: str, keep: str | None = None) -> int:
    """Delete every session of `login` (but `keep`); returns how many ended."""
    ended = 0
    for row in SessionModel.by_login.query(login):
        if row.session_id != keep:
            SessionModel(row.session_id).delete()
            ended += 1
    return ended
