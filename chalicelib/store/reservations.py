"""The 契約保証予約 repository: ReservationModel rows in, `domain.reservation.Reservation` out.

An issued reservation is written in ONE transaction with a GuaranteeModel row
(kind contract_reservation) and its certificate version 1, so D-Sure, the
certificates stream (the completion mail) and the inbox read it exactly like a
guarantee; the contractor's guarantee list leaves that kind out.

Converting it (an application citing it is issued) adds two conditional
updates to the issuing transaction (`add_mark_used`): the reservation from
`issued` to `used` and its guarantee row from `valid` to `used`. Two
applications racing for one reservation: only one transaction can meet the
condition, the other is cancelled whole.

Every write goes through store/tx.py (one `tx.Writes`, conflicts retried); a
staff decision carries its audit record (store/audit.py) in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.records import CertificateVersion, Guarantee
from chalicelib.domain.reservation import Reservation
from chalicelib.store import audit, guarantees, paging, tx
from chalicelib.store.models import GuaranteeModel, ReservationModel

MAX_ID_LENGTH = 64
MAX_NUMBER_LENGTH = 32


class StatusChanged(Exception):
    """The reservation was no longer in the status the write required (someone else got there first)."""


def _record(row: ReservationModel) -> Reservation:
    return Reservation(
        reservation_id=row.reservation_id,
        owner_org=row.owner_org,
        owner_login=row.owner_login,
        branch_id=row.branch_id,
        status=row.status,
        submitted_at=row.submitted_at,
        form=row.form or {},
        number=row.number,
        valid_until=row.valid_until,
        issued_at=row.issued_at,
        decided_at=row.decided_at,
        reject_reason=row.reject_reason,
        used_by=row.used_by,
    )


def create(r: Reservation) -> Reservation:
    """Store a new reservation; a retry with the same id returns what is already there."""
    row = ReservationModel(
        r.reservation_id,
        owner_org=r.owner_org,
        owner_login=r.owner_login,
        branch_id=r.branch_id,
        status=r.status,
        submitted_at=r.submitted_at,
        form=dict(r.form),
    )
    try:
        tx.retrying(lambda: row.save(condition=ReservationModel.reservation_id.does_not_exist()), what="reservation")
    except tx.ConditionFailed:
        row = ReservationModel.get(r.reservation_id, consistent_read=True)
    return _record(row)


def get(reservation_id: str) -> Reservation | None:
    if not reservation_id or len(reservation_id) > MAX_ID_LENGTH:
        return None
    try:
        return _record(ReservationModel.get(reservation_id, consistent_read=True))
    except DoesNotExist:
        return None


def get_by_number(number: str) -> Reservation | None:
    """The reservation an issued 予約番号 belongs to (through its guarantee row), or None."""
    if not number or len(number) > MAX_NUMBER_LENGTH:
        return None
    try:
        g = GuaranteeModel.get(number)
    except DoesNotExist:
        return None
    if g.kind != "contract_reservation":
        return None
    return get(g.application_id)


def list_by_owner(
    org: str, limit: int, cursor: str | None, keep: Callable[[Reservation], bool]
) -> tuple[list[Reservation], str | None]:
    """An organisation's reservations, newest first (Query on by_owner)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return ReservationModel.by_owner.query(
            org, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, keep, convert=_record)


def list_by_status(
    status: str, limit: int, cursor: str | None, keep: Callable[[Reservation], bool]
) -> tuple[list[Reservation], str | None]:
    """The clerks' queue by status, oldest first (Query on by_status)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return ReservationModel.by_status.query(status, limit=size, page_size=size, last_evaluated_key=start)

    return paging.page(run, limit, cursor, keep, convert=_record)


def reject(reservation_id: str, reason: str, now: str, entry: AuditEntry) -> Reservation:
    """却下 a submitted reservation with its audit record, atomically; StatusChanged if it is no longer submitted."""
    writes = tx.Writes().update(
        ReservationModel(reservation_id),
        actions=[
            ReservationModel.status.set("rejected"),
            ReservationModel.reject_reason.set(reason),
            ReservationModel.decided_at.set(now),
        ],
        condition=ReservationModel.status == "submitted",
    )
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="reservation_reject")
    except tx.ConditionFailed:
        raise StatusChanged(reservation_id) from None
    stored = get(reservation_id)
    assert stored is not None  # it was just updated
    return stored


def issue(r: Reservation, g: Guarantee, v1: CertificateVersion, entry: AuditEntry) -> None:
    """One transaction: the reservation `submitted` → `issued` (its number, `valid_until` = the
    guarantee row's deadline, issued at the row's `issued_at`), its guarantee row (kind
    contract_reservation, minted by services/minting.py), version 1 and the audit record."""
    number, valid_until, now = g.number, g.deadline, g.issued_at
    writes = guarantees.add_new(tx.Writes(), g, v1)  # the row keeps its version summary, like any guarantee's
    writes.update(
        ReservationModel(r.reservation_id),
        actions=[
            ReservationModel.status.set("issued"),
            ReservationModel.number.set(number),
            ReservationModel.valid_until.set(valid_until),
            ReservationModel.issued_at.set(now),
            ReservationModel.decided_at.set(now),
        ],
        condition=ReservationModel.status == "submitted",
    )
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="reservation_issue")
    except tx.ConditionFailed:
        raise StatusChanged(r.reservation_id) from None


def mark_used(reservation: Reservation, application_id: str, now: str) -> tx.Writes:
    """The writes, for an issuing transaction (store/guarantees.issue `also`), that make this
    reservation `used` (only if still `issued`) and its guarantee row `used` (only if still `valid`)."""
    writes = tx.Writes()
    writes.update(
        ReservationModel(reservation.reservation_id),
        actions=[
            ReservationModel.status.set("used"),
            ReservationModel.used_by.set(application_id),
            ReservationModel.used_at.set(now),
        ],
        condition=ReservationModel.status == "issued",
    )
    g = GuaranteeModel.get(reservation.number)  # loaded: its lock_version joins the condition
    writes.update(g, actions=[GuaranteeModel.status.set("used")], condition=GuaranteeModel.status == "valid")
    return writes
