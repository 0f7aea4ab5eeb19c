"""Make the embedded moto DynamoDB behave like DynamoDB under concurrency.

moto's TransactWriteItems is not isolated: it snapshots whole tables, applies
the items one by one and, on a failed condition, restores the snapshots, which
under concurrent requests can erase or resurrect another request's committed
writes (seen: two concurrent issues of one application leaving four
guarantees). Real DynamoDB serialises transactions with other writes, so the
local stack and the tests serialise every DynamoDB operation of the moto
backend behind one lock. This is test/local infrastructure only; Lambda talks
to DynamoDB itself.

That snapshot is also what makes a transaction slow under moto: it deep-copies
a whole table once per ITEM naming it (all copies taken before any write, so
they are equal). A transaction with several audit records (issue 13's audit
table grows with every staff write) copied the audit table four or five times,
and under a burst the other requests' reads, waiting on the lock, timed out.
`snapshot_each_table_once` keeps moto's semantics and copies each table once.
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
    snapshot_each_table_once()
    _patched = True


class _OneCopyPerTable:
    """Stands in for the `copy` module inside one transact_write_items call (under the lock):
    a Table is deep-copied once and the same snapshot is handed back for the call's later items."""

    def __init__(self, real: Any, table_type: type) -> None:
        self._real, self._table_type = real, table_type
        self._memo: dict[int, Any] = {}

    def deepcopy(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, self._table_type):
            if id(value) not in self._memo:
                self._memo[id(value)] = self._real.deepcopy(value, *args, **kwargs)
            return self._memo[id(value)]
        return self._real.deepcopy(value, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def snapshot_each_table_once() -> None:
    """Wrap moto's transact_write_items (already behind the lock) so its rollback snapshot
    copies each table once, not once per item; the snapshot itself is unchanged."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def once(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            models.copy = _OneCopyPerTable(copy, Table)  # type: ignore[assignment]
            try:
                return original(self, *args, **kwargs)
            finally:
                models.copy = copy

    DynamoDBBackend.transact_write_items = once  # type: ignore[method-assign]
