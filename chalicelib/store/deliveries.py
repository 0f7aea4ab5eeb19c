"""Deliveries (提出): one row per guarantee and department; every state change is one conditional
write on the state read (`status` and `event_at`), so of concurrent decisions exactly one lands.

A change that tells someone (a department's mailbox, the contractor) puts an events row in the same
transaction (store/events.py): the events stream sends the mail, once (services/event_notices.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.records import Delivery
from chalicelib.store import events, paging, tx
from chalicelib.store.models import DeliveryModel


def _record(row: DeliveryModel) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        number=row.number,
        orderer_id=row.orderer_id,
        department_id=row.department_id,
        contractor_org=row.contractor_org,
        kind=row.kind,
        version=int(row.version),
        latest_event=row.latest_event,
        status=row.status,
        delivered_at=row.delivered_at,
        event_at=row.event_at,
        orderer_reference=row.orderer_reference,
        message=row.message,
        received_at=row.received_at,
        received_by_login=row.received_by_login,
        returned_reason=row.returned_reason,
        check=row.check,
        seen=bool(row.seen),
        history=tuple(row.history or ()),
    )


def _row(d: Delivery) -> DeliveryModel:
    return DeliveryModel(
        d.delivery_id,
        number=d.number,
        orderer_id=d.orderer_id,
        department_id=d.department_id,
        orderer_department=f"{d.orderer_id}#{d.department_id}",
        contractor_org=d.contractor_org,
        kind=d.kind,
        version=d.version,
        latest_event=d.latest_event,
        status=d.status,
        delivered_at=d.delivered_at,
        event_at=d.event_at,
        sort_at=f"{d.event_at}#{d.delivery_id}",
        orderer_reference=d.orderer_reference,
        message=d.message,
        received_at=d.received_at,
        received_by_login=d.received_by_login,
        returned_reason=d.returned_reason,
        check=d.check,
        seen=d.seen,
        history=list(d.history) or None,
    )


def get(delivery_id: str, *, consistent: bool = False) -> Delivery | None:
    if not delivery_id or len(delivery_id) > 64:
        return None
    try:
        return _record(DeliveryModel.get(delivery_id, consistent_read=consistent))
    except DeliveryModel.DoesNotExist:
        return None


def of_number(number: str) -> list[Delivery]:
    """Every delivery of one guarantee (a small set: one per department)."""
    return [_record(r) for r in DeliveryModel.by_number.query(number)]


def _unchanged(was: Delivery) -> Any:
    """The condition of every decision: the row is still exactly the state it was read in."""
    return (DeliveryModel.status == was.status) & (DeliveryModel.event_at == was.event_at)


def put_new(d: Delivery, event: events.Event) -> bool:
    """A first 提出 to this department; False when one exists already (then read it)."""
    writes = tx.Writes().put(_row(d), condition=DeliveryModel.delivery_id.does_not_exist())
    events.add(writes, event)
    try:
        tx.commit(writes, what="delivery")
    except tx.ConditionFailed:
        return False
    return True


def replace_if_unchanged(was: Delivery, now: Delivery, event: events.Event | None) -> bool:
    """Write `now` over `was` (re-delivery, receipt, return, a version followed) if nothing changed
    it in between; with the event that tells of it. False: someone else changed it first."""
    writes = tx.Writes().put(_row(now), condition=_unchanged(was))
    if event is not None:
        events.add(writes, event)
    try:
        tx.commit(writes, what="delivery")
    except tx.ConditionFailed:
        return False
    return True


def mark_seen(d: Delivery) -> None:
    """The orderer has looked at it since its latest event (a newer event wins)."""
    try:
        tx.retrying(
            lambda: DeliveryModel(d.delivery_id).update(
                actions=[DeliveryModel.seen.set(True)], condition=DeliveryModel.event_at == d.event_at
            ),
            what="delivery",
        )
    except tx.ConditionFailed:
        pass


def newest_first(
    orderer_id: str, department_id: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Delivery], str | None]:
    """An orderer's (or one department's) deliveries, newest first; `status` filters."""
    index = DeliveryModel.by_department if department_id else DeliveryModel.by_orderer
    key = f"{orderer_id}#{department_id}" if department_id else orderer_id
    condition = (DeliveryModel.status == status) if status else None

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return index.query(
            key, scan_index_forward=False, limit=size, last_evaluated_key=start, filter_condition=condition
        )

    return paging.page(run, limit, cursor, convert=_record, scope=f"deliveries:{key}:{status or ''}")
