"""Organisations (contractors, orderers, branches, hq): their kind, name and whether disabled.

An orderer is two rows: its organisation (kind, status) and its OrdererModel row
(name, 電子保証対応, rates) that applications read through store/orderers.py;
both are written in one transaction with the audit record (store/tx.py), and
this container's cached orderer list is forgotten once they are. The admin's list of
contractors and orderers is one Query on the `by_kind` index (a branch or hq is not in it).
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import clock
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.records import Organisation
from chalicelib.store import audit, orderers, paging, tx
from chalicelib.store.models import OrdererModel, OrganisationModel

MAX_ID_LENGTH = 64  # longer was never an organisation id; never sent to DynamoDB
#: The one partition of the `by_kind` index: every contractor and orderer (never a branch or hq).
DIRECTORY = "organisation"
LISTED_KINDS = ("contractor", "orderer")


def _record(row: OrganisationModel) -> Organisation:
    return Organisation(row.org_id, row.kind, row.name, row.status or "active")


def _row(org: Organisation, status: str, created_at: str | None) -> OrganisationModel:
    """The row of `org`; a contractor or orderer also goes under the admin's list (`by_kind`)."""
    listed = org.kind in LISTED_KINDS
    return OrganisationModel(
        org.org_id,
        kind=org.kind,
        name=org.name,
        status=status,
        created_at=created_at,
        directory=DIRECTORY if listed else None,
        kind_id=f"{org.kind}#{org.org_id}" if listed else None,
    )


def get(org_id: str) -> Organisation | None:
    if not org_id or len(org_id) > MAX_ID_LENGTH:
        return None
    try:
        return _record(OrganisationModel.get(org_id, consistent_read=True))
    except DoesNotExist:
        pass
    # Orderers seeded before issue 13 have only their OrdererModel row: active, kind orderer.
    orderer = orderers.get(org_id)
    return Organisation(orderer.orderer_id, "orderer", orderer.name) if orderer else None


def put(org: Organisation) -> None:
    """Write an organisation outright (the demo seed, the first admin's hq)."""
    _row(org, org.status, clock.iso_now()).save()


def create(org: Organisation, entry: AuditEntry, e_surety: bool | None = None) -> bool:
    """A new organisation (and, for an orderer, its reference row) with its audit record.
    False when the id is taken (nothing is written)."""
    writes = tx.Writes()
    writes.put(_row(org, "active", entry.at), condition=OrganisationModel.org_id.does_not_exist())
    if org.kind == "orderer":
        writes.put(
            OrdererModel(org.org_id, name=org.name, e_surety=bool(e_surety)),
            condition=OrdererModel.orderer_id.does_not_exist(),
        )
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="organisation")
    except tx.ConditionFailed:
        return False
    finally:
        orderers.clear_cache()
    return True


def update_orderer(orderer_id: str, name: str | None, e_surety: bool | None, entry: AuditEntry) -> bool:
    """Rename an orderer or change its 電子保証対応, with the audit record. False when absent."""
    actions = []
    if name is not None:
        actions.append(OrdererModel.name.set(name))
    if e_surety is not None:
        actions.append(OrdererModel.e_surety.set(e_surety))
    exists = OrdererModel.orderer_id.exists()
    writes = tx.Writes()
    if actions:
        writes.update(OrdererModel(orderer_id), actions, condition=exists)
    else:
        writes.check(OrdererModel, orderer_id, condition=exists)
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="orderer")
    except tx.ConditionFailed:
        return False
    finally:
        orderers.clear_cache()
    return True


def disable(org: Organisation, entry: AuditEntry) -> None:
    """Mark the organisation disabled, with its record. Only its status changes (its `created_at`
    stays); a pre-issue-13 orderer, which has no row yet, gets one (listed, without a creation time)."""
    listed = org.kind in LISTED_KINDS
    keep = OrganisationModel
    actions = [
        keep.status.set("disabled"),
        keep.kind.set(keep.kind | org.kind),  # `|`: the stored value if there is one (if_not_exists)
        keep.name.set(keep.name | org.name),
    ]
    if listed:
        actions += [keep.directory.set(DIRECTORY), keep.kind_id.set(f"{org.kind}#{org.org_id}")]
    writes = tx.Writes()
    writes.update(OrganisationModel(org.org_id), actions)
    audit.add(writes, entry)
    tx.commit(writes, what="organisation")


def list_organisations(kind: str | None, limit: int, cursor: str | None) -> tuple[list[Organisation], str | None]:
    """Contractors and orderers, by kind then id, or one kind by id: one Query on `by_kind`, never
    a Scan. A cursor belongs to the list (kind filter) it came from."""
    if kind is not None and kind not in LISTED_KINDS:
        return [], None
    prefix = f"{kind}#" if kind else None

    def run(start: dict[str, Any] | None, size: int) -> Any:
        condition = OrganisationModel.kind_id.startswith(prefix) if prefix else None
        return OrganisationModel.by_kind.query(
            DIRECTORY, range_key_condition=condition, limit=size, last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, convert=_record, scope=f"organisations|{kind or ''}")
