"""An orderer's departments and routing (API.md "提出 and 受領": Departments), for the admin and
the contractor; orderer users bound to a department."""

from __future__ import annotations

from chalicelib.domain import deliveries as rules
from chalicelib.domain import names
from chalicelib.domain.audit import ADMIN_SCOPE, AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Department
from chalicelib.render.charset import font_charset
from chalicelib.store import accounts, departments, orderers


def _entry(admin: Principal, action: str, target: str, reason: str) -> AuditEntry:
    return AuditEntry(actor=admin.login, action=action, target=target, scope=ADMIN_SCOPE, reason=reason)


def _orderer(orderer_id: str) -> None:
    if orderers.get(orderer_id) is None:
        raise NotFound()


def _item(d: Department, *, email: bool = True) -> dict[str, object]:
    out: dict[str, object] = {"id": d.department_id, "name": d.name}
    if email:
        out["email"] = d.email
    return out


def create(admin: Principal, orderer_id: str, department_id: str, name: str, email: str | None) -> dict[str, object]:
    """`POST /api/admin/orderers/{id}/departments` (an id the orderer has → 409)."""
    _orderer(orderer_id)
    if not rules.DEPARTMENT_ID.match(department_id):
        raise ValidationFailed([FieldError("id", "部署IDは英小文字・数字・ハイフンで32文字以内にしてください。")])
    dept = Department(orderer_id, department_id, names.printable_name(name, font_charset()), email)
    entry = _entry(admin, "orderer_updated", f"orderer:{orderer_id}", f"部署の追加: {department_id}")
    if department_id == rules.MAIN or not departments.create(dept, entry):
        raise Conflict([FieldError("id", "この部署IDはすでに登録されています。")])
    return _item(dept)


def list_for_admin(orderer_id: str) -> list[dict[str, object]]:
    _orderer(orderer_id)
    return [_item(d) for d in departments.of_orderer(orderer_id)]


def list_for_contractor(orderer_id: str) -> list[dict[str, object]]:
    """What 提出 may name (never a department's address)."""
    _orderer(orderer_id)
    return [_item(d, email=False) for d in departments.of_orderer(orderer_id)]


def routing(orderer_id: str) -> dict[str, str]:
    _orderer(orderer_id)
    return rules.full_routing(departments.routing(orderer_id))


def set_routing(admin: Principal, orderer_id: str, body: dict[str, str]) -> dict[str, str]:
    """`PUT /api/admin/orderers/{id}/routing`: an unknown department → 400 on that kind."""
    _orderer(orderer_id)
    known = {d.department_id for d in departments.of_orderer(orderer_id)}
    stored = rules.check_routing(body, known)
    entry = _entry(admin, "orderer_updated", f"orderer:{orderer_id}", "提出先の振り分けの変更")
    departments.set_routing(orderer_id, stored, entry)
    return rules.full_routing(stored)


def bind_user(admin: Principal, login: str, department_id: str | None) -> dict[str, object]:
    """`PATCH /api/admin/users/{login}` `{"department_id"}`."""
    user = accounts.get(login)
    if user is None:
        raise NotFound()
    if user.role != "orderer":
        raise ValidationFailed([FieldError("department_id", "部署を指定できるのは発注者の利用者だけです。")])
    if department_id is not None and departments.get(user.org_id, department_id) is None:
        raise ValidationFailed([FieldError("department_id", "この発注者に登録されていない部署です。")])
    entry = _entry(admin, "user_updated", f"user:{login}", f"部署: {department_id or 'なし'}")
    if not accounts.set_department(login, department_id, entry):
        raise NotFound()
    return {**user.public(), "department_id": department_id}


def bound_department(principal: Principal) -> str | None:
    """The department an orderer user is bound to (None: sees all; a machine client sees all)."""
    if principal.client_id:
        return None
    account = accounts.get(principal.login)
    return account.department_id if account is not None else None


def console(orderer_id: str) -> dict[str, object]:
    """The admin console's page of one orderer: departments, routing and its users (404: no orderer)."""
    _orderer(orderer_id)
    found, _ = accounts.list_accounts(org_id=orderer_id, role="orderer", limit=100, cursor=None)
    return {
        "departments": list_for_admin(orderer_id),
        "routing": routing(orderer_id),
        "users": [u.public() for u in found],
    }
