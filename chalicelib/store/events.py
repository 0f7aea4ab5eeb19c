"""Events (key_reissued, application_rejected): put inside the change's own transaction, read back
from the events stream's NEW_IMAGE by the trigger. A password reset request (`password_reset`) is
queued the same way, on its own, whether or not its login exists (services/accounts.py)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain import clock
from chalicelib.store import tx
from chalicelib.store.models import EventModel

KINDS = (
    "key_reissued",
    "application_rejected",
    "password_reset",
    # Issue 29: a delivery's state changes (mail to the department or the contractor; issue 30's webhooks)
    "delivery_created",
    "delivery_changed",
    "delivery_received",
    "delivery_returned",
)


@dataclass(frozen=True)
class Event:
    kind: str
    number: str | None = None
    application_id: str | None = None
    orderer_id: str | None = None
    email: str | None = None
    reason: str | None = None
    project_name: str | None = None
    addressee: str | None = None  # whom the notice greets: the contractor, or a delivery's department
    login: str | None = None
    delivery_id: str | None = None
    department_id: str | None = None
    version: int | None = None
    version_kind: str | None = None
    at: str = field(default_factory=clock.iso_now)
    event_id: str = field(default_factory=lambda: secrets.token_hex(10))


#: A queued reset request is kept a week (its claim decides once; the row is not a record).
RESET_ROW_SECONDS = 7 * 24 * 3600


def _row(event: Event) -> EventModel:
    expires = datetime.fromtimestamp(time.time() + RESET_ROW_SECONDS, UTC) if event.kind == "password_reset" else None
    return EventModel(
        event.event_id,
        kind=event.kind,
        at=event.at,
        number=event.number,
        application_id=event.application_id,
        orderer_id=event.orderer_id,
        email=event.email,
        reason=event.reason,
        project_name=event.project_name,
        addressee=event.addressee,
        login=event.login,
        delivery_id=event.delivery_id,
        department_id=event.department_id,
        version=event.version,
        version_kind=event.version_kind,
        expires_at=expires,
    )


def add(writes: tx.Writes, event: Event) -> tx.Writes:
    """Add the event to `writes`: it exists only if the change it reports commits."""
    writes.put(_row(event), condition=EventModel.event_id.does_not_exist())
    return writes


def queue(event: Event) -> None:
    """Put one event on its own (one PutItem): the trigger acts on it after the request."""
    row = _row(event)
    tx.retrying(lambda: row.save(condition=EventModel.event_id.does_not_exist()), what="event")


def from_image(image: dict[str, Any] | None) -> Event | None:
    """A stream NEW_IMAGE as an event, or None when it cannot be one."""
    if not image:
        return None
    try:
        row = EventModel.from_raw_data(image)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not row.event_id or row.kind not in KINDS:
        return None
    return Event(
        kind=row.kind,
        number=row.number,
        application_id=row.application_id,
        orderer_id=row.orderer_id,
        email=row.email,
        reason=row.reason,
        project_name=row.project_name,
        addressee=row.addressee,
        login=row.login,
        delivery_id=row.delivery_id,
        department_id=row.department_id,
        version=int(row.version) if row.version is not None else None,
        version_kind=row.version_kind,
        at=row.at,
        event_id=row.event_id,
    )
