"""Sealed drafts in DynamoDB: put once, taken once, gone after their TTL.

The rows hold ciphertext only (services/drafts.py seals them); this module
knows nothing of what is inside.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.store.models import DraftModel


def put(draft_hash: str, sealed: str, ttl_seconds: int) -> None:
    expires = datetime.fromtimestamp(int(time.time()) + ttl_seconds, UTC)
    DraftModel(draft_hash, sealed=sealed, expires_at=expires).save()


def take(draft_hash: str) -> str | None:
    """The sealed draft, deleted as it is read (single use); None if absent or past its TTL.

    DynamoDB's TTL deletes lazily, so the expiry is checked here too.
    """
    try:
        row = DraftModel.get(draft_hash, consistent_read=True)
    except DoesNotExist:
        return None
    try:
        row.delete(condition=DraftModel.draft_hash.exists())
    except DeleteError:  # taken by a concurrent request: that one gets it
        return None
    if row.expires_at.timestamp() <= time.time():
        return None
    return row.sealed
