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
`snapshot_each_table_once` kept moto's semantics and copied each table once; it is
still the fallback. `snapshot_touched_items` replaces the table copies: under the
lock, a transaction can only change the items it names (one per TransactItem), so
it keeps a copy of exactly those items (and each table's stream length) and puts
them back if moto refuses the transaction. A whole-table copy made every
transaction O(table): the 1,000-wrong-keys test copied a growing access-log table
a thousand times, and a burst copied the applications and certificates tables
(with their stream records) on every issue.
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
    snapshot_touched_items()
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


class _NoTableCopy:
    """Stands in for the `copy` module inside transact_write_items when the touched items are
    saved: moto's whole-table "snapshot" is the table itself, so its own restore changes nothing."""

    def __init__(self, real: Any, table_type: type) -> None:
        self._real, self._table_type = real, table_type

    def deepcopy(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, self._table_type):
            return value
        return self._real.deepcopy(value, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, a copy of the item or None) for every item the transaction names.
    Raises (KeyError, …) when an item is malformed: then moto's own snapshot is used."""
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    saved = []
    for entry in transact_items:
        kind, op = next(iter(entry.items()))
        table = backend.tables[op["TableName"]]
        key = op["Item"] if kind == "Put" else op["Key"]
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        current = table.get_item(hash_key, range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(current)))
    return saved


def _put_back(saved: list[tuple[Any, Any, Any, Any]], streams: dict[int, tuple[Any, int]]) -> None:
    """Every named item as it was (earliest copy last, so it wins), and no stream record of the
    refused writes — what moto's table restore would have left, without copying the tables."""
    for table, hash_key, range_key, item in reversed(saved):
        if range_key is not None:
            if item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        elif item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    for table, length in streams.values():
        if table.stream_shard is not None and len(table.stream_shard.items) >= length:
            del table.stream_shard.items[length:]


def snapshot_touched_items() -> None:
    """Wrap transact_write_items (behind the lock) to save and restore only the items it names."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    whole_tables = DynamoDBBackend.transact_write_items  # snapshot_each_table_once's wrapper
    moto_itself = whole_tables.__wrapped__  # behind the lock, without that wrapper's table copies

    @functools.wraps(whole_tables)
    def per_item(self: Any, transact_items: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            try:
                saved = _touched(self, transact_items)
            except (KeyError, TypeError, ValueError, AttributeError, StopIteration):
                # a malformed request (unknown table, missing key): moto answers it, with its own snapshot
                return whole_tables(self, transact_items, *args, **kwargs)
            streams = {id(t): (t, len(t.stream_shard.items)) for t, *_ in saved if t.stream_shard is not None}
            previous = models.copy
            models.copy = _NoTableCopy(copy, Table)  # type: ignore[assignment]
            try:
                return moto_itself(self, transact_items, *args, **kwargs)
            except BaseException:
                _put_back(saved, streams)
                raise
            finally:
                models.copy = previous

    DynamoDBBackend.transact_write_items = per_item  # type: ignore[method-assign]
