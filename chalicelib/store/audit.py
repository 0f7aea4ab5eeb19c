"""The audit store: records written inside the change's own transaction, read newest first.

A record (domain/audit.py) is put as several items of one AuditModel table, each
carrying the whole record:
  `all`               every record (admins' unfiltered view)
  `scope#<scope>`     a branch's records (staff's view), or `hq` for admin writes
  `actor#<login>`     `?actor=`
  `number#<番号>`     `?number=`, one item per number the record touches
so each filter is one Query on a partition, sorted by `<at>#<id>` descending;
never a Scan. Every item is put conditioned on not existing, and nothing in the
code updates or deletes one.

`add(writes, entry)` is what a repository calls on the `tx.Writes` that carry
the change, so a change and its record commit or fail together (store/tx.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.audit import AuditEntry
from chalicelib.store import paging, tx
from chalicelib.store.models import AuditModel

ALL = "all"


def _partitions(entry: AuditEntry) -> list[str]:
    keys = [ALL, f"scope#{entry.scope}", f"actor#{entry.actor}"]
    keys += [f"number#{n}" for n in dict.fromkeys(entry.numbers)]
    return keys


def items(entry: AuditEntry) -> list[AuditModel]:
    """The items that make up one record (for a caller that builds its own transaction)."""
    return [
        AuditModel(
            pk,
            entry.sort_key,
            record_id=entry.record_id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            scope=entry.scope,
            numbers=list(entry.numbers),
            reason=entry.reason,
        )
        for pk in _partitions(entry)
    ]


def add(writes: tx.Writes, entry: AuditEntry) -> tx.Writes:
    """Add the record's items to `writes`: it commits with the change or not at all."""
    for item in items(entry):
        writes.put(item, condition=AuditModel.pk.does_not_exist())
    return writes


def _entry(row: AuditModel) -> AuditEntry:
    return AuditEntry(
        actor=row.actor,
        action=row.action,
        target=row.target,
        scope=row.scope,
        numbers=tuple(row.numbers or ()),
        reason=row.reason,
        at=row.at,
        record_id=row.record_id,
    )


def query(
    *,
    scope: str | None,
    number: str | None = None,
    actor: str | None = None,
    limit: int = paging.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[AuditEntry], str | None]:
    """Records newest first. `scope=None` is every scope (admins); otherwise only that scope's.

    The most selective partition is queried (number, then actor, then scope);
    the other filters are applied to what it returns, and paging reads on until
    the page is full.
    """
    if number:
        pk = f"number#{number}"
    elif actor:
        pk = f"actor#{actor}"
    elif scope is not None:
        pk = f"scope#{scope}"
    else:
        pk = ALL

    def keep(entry: AuditEntry) -> bool:
        return (scope is None or entry.scope == scope) and (not actor or entry.actor == actor)

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return AuditModel.query(pk, scan_index_forward=False, limit=size, last_evaluated_key=start)

    return paging.page(run, limit, cursor, keep, convert=_entry)
