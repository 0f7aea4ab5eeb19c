"""An orderer's departments and its routing by guarantee kind (API.md "提出 and 受領")."""

from __future__ import annotations

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.deliveries import MAIN, MAIN_NAME
from chalicelib.domain.records import Department
from chalicelib.store import audit, tx
from chalicelib.store.models import DepartmentModel

ROUTING = "#routing"


def _record(row: DepartmentModel) -> Department:
    return Department(row.orderer_id, row.department_id, row.name or MAIN_NAME, row.email)


def main(orderer_id: str) -> Department:
    return Department(orderer_id, MAIN, MAIN_NAME)


def of_orderer(orderer_id: str) -> list[Department]:
    """`main` first (implicit unless stored), then the others in id order (one Query)."""
    rows = [r for r in DepartmentModel.query(orderer_id) if r.department_id != ROUTING]
    found = {r.department_id: _record(r) for r in rows}
    first = found.pop(MAIN, main(orderer_id))
    return [first, *found.values()]


def get(orderer_id: str, department_id: str) -> Department | None:
    if department_id == MAIN:
        try:
            return _record(DepartmentModel.get(orderer_id, MAIN))
        except DepartmentModel.DoesNotExist:
            return main(orderer_id)
    if not department_id or department_id.startswith("#"):
        return None
    try:
        return _record(DepartmentModel.get(orderer_id, department_id))
    except DepartmentModel.DoesNotExist:
        return None


def create(department: Department, entry: AuditEntry | None) -> bool:
    """Add a department with its audit record; False when the orderer already has that id."""
    writes = tx.Writes().put(
        DepartmentModel(department.orderer_id, department.department_id, name=department.name, email=department.email),
        condition=DepartmentModel.department_id.does_not_exist(),
    )
    if entry is not None:
        audit.add(writes, entry)
    try:
        tx.commit(writes, what="department")
    except tx.ConditionFailed:
        return False
    return True


def routing(orderer_id: str) -> dict[str, str]:
    """The stored routing ({} when none: every kind goes to `main`)."""
    try:
        return dict(DepartmentModel.get(orderer_id, ROUTING).routing or {})
    except DepartmentModel.DoesNotExist:
        return {}


def set_routing(orderer_id: str, routing_: dict[str, str], entry: AuditEntry | None) -> None:
    writes = tx.Writes().put(DepartmentModel(orderer_id, ROUTING, routing=routing_))
    if entry is not None:
        audit.add(writes, entry)
    tx.commit(writes, what="routing")
