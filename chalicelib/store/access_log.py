"""The access log (閲覧履歴): one row per verification attempt, never the key.

Every attempt is a row under the number as entered (the audit trail keeps
them all). What a contractor is shown is narrower (API.md): the views by the
orderer the guarantee names, and failed attempts by anyone only as a count
and a time, kept on one counter row per number that the failure's own log
write updates in the same transaction — so a flood of failures cannot bury
the real views, and counting them costs no Query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.records import AccessLogEntry
from chalicelib.store import paging, tx
from chalicelib.store.models import AccessLogModel, AttemptModel

BAD_CURSOR = FieldError("cursor", "cursor が正しくありません。最初のページからやり直してください。")
_KEYS = {"number", "at"}
#: A number's failure count lives as long as a guarantee's record is worth showing.
FAILED_KEEP_SECONDS = 3 * 366 * 24 * 3600


def _record(row: AccessLogModel) -> AccessLogEntry:
    return AccessLogEntry(number=row.number, at=row.at, orderer_id=row.orderer_id, login=row.login, result=row.result)


def _row(entry: AccessLogEntry) -> AccessLogModel:
    return AccessLogModel(entry.number, entry.at, orderer_id=entry.orderer_id, login=entry.login, result=entry.result)


def _failed_key(number: str) -> str:
    return f"failed:{number}"


def append(entry: AccessLogEntry) -> None:
    """One attempt's row, alone (a failure also counts toward the number's failed attempts)."""
    writes = tx.Writes()
    append_writes(entry, writes, failed=entry.result not in SUCCESS_RESULTS)
    tx.commit(writes, what="access_log")


SUCCESS_RESULTS = frozenset({"valid", "cancelled", "expired", "used"})


def append_writes(entry: AccessLogEntry, writes: tx.Writes, *, failed: bool) -> None:
    """Add the attempt's row (and, for a failure, the number's failure count) to `writes`."""
    writes.put(_row(entry))
    if failed and entry.number and entry.number != "-":
        now = int(datetime.now(UTC).timestamp())
        writes.update(
            AttemptModel(_failed_key(entry.number)),
            actions=[
                AttemptModel.failures.add(1),
                AttemptModel.token.set(entry.at),
                AttemptModel.expires_at.set(datetime.fromtimestamp(now + FAILED_KEEP_SECONDS, UTC)),
            ],
        )


def failed_counts(entries: list[AccessLogEntry]) -> dict[str, tuple[int, str]]:
    """Per number named, how many of `entries` are failures and the newest one's time."""
    counts: dict[str, tuple[int, str]] = {}
    for e in entries:
        if e.result not in SUCCESS_RESULTS and e.number and e.number != "-":
            n, last = counts.get(e.number, (0, e.at))
            counts[e.number] = (n + 1, max(last, e.at))
    return counts


def failed_count_write(number: str, count: int, last_at: str, writes: tx.Writes) -> None:
    """Add `count` failures on `number` (one item, however many rows named it) to `writes`."""
    now = int(datetime.now(UTC).timestamp())
    writes.update(
        AttemptModel(_failed_key(number)),
        actions=[
            AttemptModel.failures.add(count),
            AttemptModel.token.set(last_at),
            AttemptModel.expires_at.set(datetime.fromtimestamp(now + FAILED_KEEP_SECONDS, UTC)),
        ],
    )


def failed_attempts(number: str) -> dict[str, Any]:
    """`{"count", "last_at"}` of the failed attempts on `number` by anyone (one GetItem)."""
    try:
        row = AttemptModel.get(_failed_key(number))
    except DoesNotExist:
        return {"count": 0, "last_at": None}
    last = row.token.split("#", 1)[0] if row.token else None
    return {"count": int(row.failures or 0), "last_at": last}


def for_number(
    number: str,
    limit: int,
    cursor: str | None,
    keep: Callable[[AccessLogEntry], bool] = lambda _e: True,
    scope: str = "",
) -> tuple[list[AccessLogEntry], str | None]:
    """Attempts on one 保証契約番号 that `keep` accepts, newest first; a cursor of another list is a 400."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        valid = start is None or (
            set(start) == _KEYS
            and all(paging.is_string_value(v) for v in start.values())
            and start["number"]["S"] == number
        )
        if not valid:
            raise ValidationFailed([BAD_CURSOR])
        return AccessLogModel.query(
            number, scan_index_forward=False, limit=size, page_size=max(size, 50), last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, keep, convert=_record, scope=f"access:{number}:{scope}")
