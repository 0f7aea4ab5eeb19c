"""The D-Sure inbox: per orderer, the guarantees it has verified and the newest version it saw."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.records import InboxRow
from chalicelib.store import paging, tx
from chalicelib.store.models import OrdererInboxModel


def _record(row: OrdererInboxModel) -> InboxRow:
    return InboxRow(
        orderer_id=row.orderer_id,
        number=row.number,
        last_seen_version=int(row.last_seen_version),
        changed_at=row.changed_at,
        verified_at=row.verified_at,
    )


def get(orderer_id: str, number: str) -> InboxRow | None:
    """The orderer's row for `number`, or None when it never verified it."""
    try:
        return _record(OrdererInboxModel.get(orderer_id, number))
    except OrdererInboxModel.DoesNotExist:
        return None


def mark_seen_writes(
    orderer_id: str, number: str, version: int, changed_at: str, verified_at: str, writes: tx.Writes
) -> None:
    """Add `mark_seen` to the caller's transaction (its condition may then cancel it: see verify)."""
    writes.update(
        OrdererInboxModel(orderer_id, number),
        actions=[
            OrdererInboxModel.last_seen_version.set(version),
            OrdererInboxModel.changed_at.set(changed_at),
            OrdererInboxModel.verified_at.set(verified_at),
        ],
        condition=OrdererInboxModel.last_seen_version.does_not_exist()
        | (OrdererInboxModel.last_seen_version <= version),
    )


def mark_seen(orderer_id: str, number: str, version: int, changed_at: str, verified_at: str) -> None:
    """The orderer has now seen `number` up to `version`; a concurrent look at a newer version wins."""
    row = OrdererInboxModel(orderer_id, number)
    try:
        tx.retrying(
            lambda: row.update(
                actions=[
                    OrdererInboxModel.last_seen_version.set(version),
                    OrdererInboxModel.changed_at.set(changed_at),
                    OrdererInboxModel.verified_at.set(verified_at),
                ],
                condition=OrdererInboxModel.last_seen_version.does_not_exist()
                | (OrdererInboxModel.last_seen_version <= version),
            ),
            what="inbox",
        )
    except tx.ConditionFailed:
        pass


def note_change(orderer_id: str, number: str, changed_at: str) -> None:
    """Move an existing row up when its guarantee gets a newer version (rows never appear here)."""
    try:
        tx.retrying(
            lambda: OrdererInboxModel(orderer_id, number).update(
                actions=[OrdererInboxModel.changed_at.set(changed_at)],
                condition=OrdererInboxModel.number.exists() & (OrdererInboxModel.changed_at < changed_at),
            ),
            what="inbox",
        )
    except tx.ConditionFailed:
        pass  # not in this orderer's inbox, or already newer


def newest_first(orderer_id: str, limit: int, cursor: str | None) -> tuple[list[InboxRow], str | None]:
    """The orderer's rows, newest change first (Query on by_change)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return OrdererInboxModel.by_change.query(
            orderer_id, scan_index_forward=False, limit=size, last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, convert=_record, scope=f"inbox:{orderer_id}")
