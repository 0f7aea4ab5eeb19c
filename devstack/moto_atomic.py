"""Make the embedded moto DynamoDB behave like DynamoDB under concurrency.

moto's TransactWriteItems is not isolated: it snapshots whole tables, applies
the items one by one and, on a failed condition, restores the snapshots, which
under concurrent requests can erase or resurrect another request's committed
writes (seen: two concurrent issues of one application leaving four
guarantees). Real DynamoDB serialises transactions with other writes, so the
local stack and the tests serialise every DynamoDB operation of the moto
backend behind one lock. This is test/local infrastructure only; Lambda talks
to DynamoDB itself.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_OPERATIONS = (
    "put_item",
    "get_item",
    "query",
    "scan",
    "update_item",
    "delete_item",
    "transact_write_items",
)
_patched = False


def serialise_dynamodb() -> None:
    """Idempotent: wrap the moto backend's item operations in one process-wide lock."""
    global _patched
    if _patched:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    _patched = True
