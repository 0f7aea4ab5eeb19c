"""Applications (保証申込): create once, read, list by owner or by status, reject.

Issuing an application is not here: it moves the application inside the
guarantees transaction (store/guarantees.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.records import Application
from chalicelib.store import audit, claims, paging, tx
from chalicelib.store.models import ApplicationModel

MAX_ID_LENGTH = 64


def record(row: ApplicationModel) -> Application:
    return Application(
        application_id=row.application_id,
        owner_org=row.owner_org,
        owner_login=row.owner_login,
        status=row.status,
        submitted_at=row.submitted_at,
        form=row.form or {},
        reject_reason=row.reject_reason,
        decided_at=row.decided_at,
        owner_name=row.owner_name,
        fee_settled=bool(row.fee_settled),
        guarantee_numbers=tuple(row.guarantee_numbers or ()),
    )


def model(app: Application) -> ApplicationModel:
    return ApplicationModel(
        app.application_id,
        owner_org=app.owner_org,
        owner_login=app.owner_login,
        status=app.status,
        submitted_at=app.submitted_at,
        form=app.form,
        reject_reason=app.reject_reason,
        decided_at=app.decided_at,
        owner_name=app.owner_name,
    )


def get(application_id: str, *, consistent: bool = False) -> Application | None:
    if not application_id or len(application_id) > MAX_ID_LENGTH:
        return None
    try:
        return record(ApplicationModel.get(application_id, consistent_read=consistent))
    except DoesNotExist:
        return None


NEW = ApplicationModel.application_id.does_not_exist()


def create(app: Application, also: tx.Writes | None = None) -> Application:
    """Write a new application (with `also`, e.g. its frozen 保証料, in the same transaction);
    when its id exists already (a retry), the stored one is returned."""
    try:
        if also:
            tx.commit(tx.Writes().put(model(app), condition=NEW).extend(also), what="application")
        else:
            tx.retrying(lambda: model(app).save(condition=NEW), what="application")
    except tx.ConditionFailed:
        stored = get(app.application_id, consistent=True)
        if stored is None:  # pragma: no cover - a row that exists cannot vanish between the two calls
            raise
        return stored
    return app


def create_once(app: Application, claim_key: str, completed: dict[str, Any], also: tx.Writes | None = None) -> bool:
    """Write the application and the completed Idempotency-Key record in ONE transaction.

    True when both were written; False when the key (or the id it derives) exists
    already, in which case nothing was written and the caller reads the key's record.
    The key can therefore never exist without its answer (no in-progress window).
    """
    writes = tx.Writes().put(model(app), condition=NEW)
    claims.IDEMPOTENCY.add_completed(writes, claim_key, completed)
    writes.extend(also)
    try:
        tx.commit(writes, what="application")
    except tx.ConditionFailed:
        return False
    return True


def list_by_owner(
    owner_org: str, limit: int, cursor: str | None, keep: Callable[[Application], bool], scope: str = ""
) -> tuple[list[Application], str | None]:
    """An organisation's applications, newest first (Query on by_owner)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return ApplicationModel.by_owner.query(
            owner_org, scan_index_forward=False, limit=size, last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, keep, convert=record, scope=f"applications:{owner_org}:{scope}")


def list_by_status(
    status: str, limit: int, cursor: str | None, keep: Callable[[Application], bool], scope: str = ""
) -> tuple[list[Application], str | None]:
    """The clerks' queue: applications in one status, oldest first (Query on by_status)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return ApplicationModel.by_status.query(status, limit=size, last_evaluated_key=start, page_size=size)

    return paging.page(run, limit, cursor, keep, convert=record, scope=f"queue:{status}:{scope}")


def reject(
    application_id: str,
    reason: str,
    decided_at: str,
    entry: AuditEntry | None = None,
    also: Callable[[tx.Writes], object] | None = None,
) -> bool:
    """却下 a submitted application, with the clerk's audit record in the same transaction;
    False when it is no longer `submitted` (nothing changed, no record written)."""
    writes = tx.Writes().update(
        ApplicationModel(application_id),
        actions=[
            ApplicationModel.status.set("rejected"),
            ApplicationModel.reject_reason.set(reason),
            ApplicationModel.decided_at.set(decided_at),
        ],
        condition=ApplicationModel.status == "submitted",
    )
    if entry is not None:
        audit.add(writes, entry)
    if also is not None:  # e.g. the event that mails the rejection (store/events.py)
        also(writes)
    try:
        tx.commit(writes, what="reject")
    except tx.ConditionFailed:
        return False
    return True
