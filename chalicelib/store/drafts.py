"""Sealed drafts in DynamoDB: put once, taken once, gone after their TTL.

The rows hold ciphertext only (services/drafts.py seals them); this module
knows nothing of what is inside.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.domain.records import SealedDraft
from chalicelib.store.models import DraftModel
from chalicelib.store.tx import condition_failed


def put(draft: SealedDraft) -> None:
    DraftModel(draft.draft_hash, sealed=draft.sealed, expires_at=datetime.fromtimestamp(draft.expires_at, UTC)).save()


def take(draft_hash: str) -> SealedDraft | None:
    """The sealed draft, deleted as it is read (single use); None if absent or past its TTL.

    The delete is conditioned on the row still being there, so of two requests
    racing for one draft only one gets it. DynamoDB's TTL deletes lazily, so the
    expiry is checked here too.
    """
    try:
        row = DraftModel.get(draft_hash, consistent_read=True)
    except DoesNotExist:
        return None
    try:
        row.delete(condition=DraftModel.draft_hash.exists())
    except DeleteError as exc:
        if condition_failed(exc):  # taken by a concurrent request: that one gets it
            return None
        raise
    expires_at = int(row.expires_at.timestamp())
    if expires_at <= time.time():
        return None
    return SealedDraft(draft_hash=row.draft_hash, sealed=row.sealed, expires_at=expires_at)
