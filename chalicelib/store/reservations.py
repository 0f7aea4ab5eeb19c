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

TODO(issue 10 merge): `_transaction()`/`_condition_failed()` duplicate what
store/tx.py provides after the store engineer's rewrite; switch to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import settings
from chalicelib.domain.reservation import Reservation
from chalicelib.store import paging
from chalicelib.store.models import CertificateModel, GuaranteeModel, ReservationModel


class StatusChanged(Exception):
    """The reservation was no longer in the status the write required (someone else got there first)."""


def _transaction() -> TransactWrite:
    return TransactWrite(connection=Connection(region=settings.current().region))


def _condition_failed(exc: TransactWriteError) -> bool:
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons)


def failed_items(exc: TransactWriteError) -> list[int]:
    """The positions (in the order the items were added) whose condition failed."""
    return [
        i for i, r in enumerate(exc.cancellation_reasons or []) if r is not None and r.code == "ConditionalCheckFailed"
    ]


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
        row.save(condition=ReservationModel.reservation_id.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        row = ReservationModel.get(r.reservation_id, consistent_read=True)
    return _record(row)


def get(reservation_id: str) -> Reservation | None:
    if not reservation_id or len(reservation_id) > 64:
        return None
    try:
        return _record(ReservationModel.get(reservation_id, consistent_read=True))
    except ReservationModel.DoesNotExist:
        return None


def get_by_number(number: str) -> Reservation | None:
    """The reservation an issued 予約番号 belongs to (through its guarantee row), or None."""
    if not number or len(number) > 32:
        return None
    try:
        g = GuaranteeModel.get(number)
    except GuaranteeModel.DoesNotExist:
        return None
    if g.kind != "contract_reservation":
        return None
    return get(g.application_id)


def list_by_owner(
    org: str, limit: int, cursor: str | None, keep: Callable[[Reservation], bool]
) -> tuple[list[Reservation], str | None]:
    """An organisation's reservations, newest first (Query on by_owner)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return _Mapped(
            ReservationModel.by_owner.query(
                org, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start
            )
        )

    return paging.page(run, limit, cursor, keep)


def list_by_status(
    status: str, limit: int, cursor: str | None, keep: Callable[[Reservation], bool]
) -> tuple[list[Reservation], str | None]:
    """The clerks' queue by status, oldest first (Query on by_status)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return _Mapped(ReservationModel.by_status.query(status, limit=size, page_size=size, last_evaluated_key=start))

    return paging.page(run, limit, cursor, keep)


class _Mapped:
    """A Query result iterator yielding dataclasses, keeping `last_evaluated_key` for paging."""

    def __init__(self, results: Any) -> None:
        self._results = results

    def __iter__(self) -> Any:
        for row in self._results:
            yield _record(row)

    @property
    def last_evaluated_key(self) -> Any:
        return self._results.last_evaluated_key


def reject(reservation_id: str, reason: str, now: str) -> Reservation:
    row = ReservationModel(reservation_id)
    try:
        row.update(
            actions=[
                ReservationModel.status.set("rejected"),
                ReservationModel.reject_reason.set(reason),
                ReservationModel.decided_at.set(now),
            ],
            condition=ReservationModel.status == "submitted",
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise StatusChanged(reservation_id) from None
        raise
    return _record(row)


def issue(
    r: Reservation,
    *,
    number: str,
    form: str,
    auth_key: str | None,
    valid_until: str,
    now: str,
    details: dict[str, Any],
    content: dict[str, Any],
    sha256: str,
    pdf_key: str,
    key_notice_key: str | None,
) -> None:
    """One transaction: the reservation `submitted` → `issued`, its guarantee row and version 1."""
    g = GuaranteeModel(
        number,
        application_id=r.reservation_id,  # for kind contract_reservation: the reservation's id
        kind="contract_reservation",
        form=form,
        status="valid",
        contractor_org=r.owner_org,
        orderer_id=r.form["project"]["orderer_id"],
        issued_at=now,
        deadline=valid_until,
        auth_key=auth_key,
        latest_version=1,
        details=details,
    )
    c = CertificateModel(
        number,
        1,
        kind="new",
        content=content,
        sha256=sha256,
        pdf_key=pdf_key,
        key_notice_key=key_notice_key,
        issued_at=now,
        reason=None,
    )
    row = ReservationModel(r.reservation_id)
    try:
        with _transaction() as tx:
            tx.save(g, condition=GuaranteeModel.number.does_not_exist())
            tx.save(c, condition=CertificateModel.number.does_not_exist())
            tx.update(
                row,
                actions=[
                    ReservationModel.status.set("issued"),
                    ReservationModel.number.set(number),
                    ReservationModel.valid_until.set(valid_until),
                    ReservationModel.issued_at.set(now),
                    ReservationModel.decided_at.set(now),
                ],
                condition=ReservationModel.status == "submitted",
            )
    except TransactWriteError as exc:
        if _condition_failed(exc):
            raise StatusChanged(r.reservation_id) from None
        raise


def add_mark_used(tx: Any, reservation: Reservation, application_id: str, now: str) -> int:
    """Add to an issuing transaction: this reservation becomes `used` (only if still `issued`),
    and so does its guarantee row (only if still `valid`). Returns how many items were added."""
    tx.update(
        ReservationModel(reservation.reservation_id),
        actions=[
            ReservationModel.status.set("used"),
            ReservationModel.used_by.set(application_id),
            ReservationModel.used_at.set(now),
        ],
        condition=ReservationModel.status == "issued",
    )
    g = GuaranteeModel.get(reservation.number)  # loaded: its lock_version joins the condition
    tx.update(
        g,
        actions=[GuaranteeModel.status.set("used")],
        condition=GuaranteeModel.status == "valid",
    )
    return 2
