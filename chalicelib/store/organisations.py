"""Organisations (contractors, orderers, branches, hq) and the orderer reference rows.

An orderer is two rows: its organisation (kind, status) and its OrdererModel
(name, 電子保証対応, rates) that applications read; both are written in one
transaction with the audit record.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import clock
from chalicelib.domain.accounts import Organisation
from chalicelib.domain.audit import AuditEntry
from chalicelib.store import audit, txn
from chalicelib.store.models import OrdererModel, OrganisationModel


def _org(row: OrganisationModel) -> Organisation:
    return Organisation(row.org_id, row.kind, row.name, row.status or "active")


def get(org_id: str) -> Organisation | None:
    if not org_id or len(org_id) > 64:
        return None
    try:
        return _org(OrganisationModel.get(org_id, consistent_read=True))
    except DoesNotExist:
        pass
    # Orderers seeded before issue 13 have only their OrdererModel row: active, kind orderer.
    try:
        row = OrdererModel.get(org_id)
    except DoesNotExist:
        return None
    return Organisation(row.orderer_id, "orderer", row.name)


def put(org: Organisation) -> None:
    """Write an organisation outright (the demo seed, the first admin's hq)."""
    OrganisationModel(org.org_id, kind=org.kind, name=org.name, status=org.status, created_at=clock.iso_now()).save()


def create(org: Organisation, entry: AuditEntry, e_surety: bool | None = None) -> bool:
    """A new organisation (and, for an orderer, its reference row) with its audit record.
    False when the id is taken."""

    def build(tx: Any) -> None:
        tx.save(
            OrganisationModel(org.org_id, kind=org.kind, name=org.name, status="active", created_at=entry.at),
            condition=OrganisationModel.org_id.does_not_exist(),
        )
        if org.kind == "orderer":
            tx.save(
                OrdererModel(org.org_id, name=org.name, e_surety=bool(e_surety)),
                condition=OrdererModel.orderer_id.does_not_exist(),
            )
        audit.add(tx, entry)

    try:
        txn.run(build)
    except txn.ConditionFailed:
        return False
    return True


def update_orderer(orderer_id: str, name: str | None, e_surety: bool | None, entry: AuditEntry) -> bool:
    actions = []
    if name is not None:
        actions.append(OrdererModel.name.set(name))
    if e_surety is not None:
        actions.append(OrdererModel.e_surety.set(e_surety))

    def build(tx: Any) -> None:
        if actions:
            tx.update(OrdererModel(orderer_id), actions=actions, condition=OrdererModel.orderer_id.exists())
        else:
            tx.condition_check(OrdererModel, orderer_id, condition=OrdererModel.orderer_id.exists())
        audit.add(tx, entry)

    try:
        txn.run(build)
    except txn.ConditionFailed:
        return False
    return True


def orderer(orderer_id: str) -> dict[str, Any] | None:
    try:
        row = OrdererModel.get(orderer_id)
    except DoesNotExist:
        return None
    return {"id": row.orderer_id, "name": row.name, "e_surety": bool(row.e_surety)}


def disable(org: Organisation, entry: AuditEntry) -> None:
    """Mark the organisation disabled (creating its row for a pre-issue-13 orderer) with its record."""

    def build(tx: Any) -> None:
        tx.save(OrganisationModel(org.org_id, kind=org.kind, name=org.name, status="disabled", created_at=entry.at))
        audit.add(tx, entry)

    txn.run(build)
