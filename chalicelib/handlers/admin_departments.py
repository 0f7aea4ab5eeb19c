"""The administrator's routes for an orderer's departments, its routing by kind, and an orderer
user's department (API.md "提出 and 受領": Departments). Every write is audited by its service."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.handlers.endpoint import Call, api, created
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page, redirect
from chalicelib.handlers.schemas import items, ref

departments = lazy("chalicelib.services.departments")

bp = Blueprint(__name__)

ADMIN = ("admin",)
DEPARTMENT = {"type": "string", "minLength": 1, "maxLength": 32}
DEPARTMENT_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name"],
    "properties": {
        "id": {**DEPARTMENT, "description": "[a-z0-9-]{1,32}"},
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "email": {"type": ["string", "null"], "minLength": 3, "maxLength": 254},
    },
}
ROUTING_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "advance_payment": DEPARTMENT,
        "contract_guarantee": DEPARTMENT,
        "contract_reservation": DEPARTMENT,
    },
}
USER_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "required": ["department_id"],
    "properties": {"department_id": {"type": ["string", "null"], "maxLength": 32}},
}
NOT_FOUND = ("発注者がない", None)


@api(
    bp,
    "/api/admin/orderers/{orderer_id}/departments",
    "POST",
    summary="発注者の部署を登録する (提出の宛先)",
    roles=ADMIN,
    body=DEPARTMENT_BODY,
    responses={201: ("登録した", ref("Department")), 404: NOT_FOUND, 409: ("部署IDが登録済み", None)},
)
def create_department(call: Call) -> Response:
    b, orderer_id = call.body, call.params["orderer_id"]
    email = _email(b.get("email"))
    out = departments.create(call.principal, orderer_id, b["id"], b["name"], email)
    return created(out, f"/api/admin/orderers/{orderer_id}/departments")


def _email(address: str | None) -> str | None:
    if address is None:
        return None
    from chalicelib.handlers.admin import _email as checked

    return checked(address)


@api(
    bp,
    "/api/admin/orderers/{orderer_id}/departments",
    "GET",
    summary="発注者の部署 (main: 代表 を含む)",
    roles=ADMIN,
    responses={200: ("部署", items(ref("Department"))), 404: NOT_FOUND},
)
def list_departments(call: Call) -> dict[str, Any]:
    return {"items": departments.list_for_admin(call.params["orderer_id"])}


@api(
    bp,
    "/api/admin/orderers/{orderer_id}/routing",
    "PUT",
    summary="種類ごとの提出先 (指定のない種類は main)",
    roles=ADMIN,
    body=ROUTING_BODY,
    responses={200: ("振り分け", ref("Routing")), 400: ("登録されていない部署", None), 404: NOT_FOUND},
)
def put_routing(call: Call) -> dict[str, str]:
    return departments.set_routing(call.principal, call.params["orderer_id"], call.body)


@api(
    bp,
    "/api/admin/orderers/{orderer_id}/routing",
    "GET",
    summary="種類ごとの提出先",
    roles=ADMIN,
    responses={200: ("振り分け", ref("Routing")), 404: NOT_FOUND},
)
def get_routing(call: Call) -> dict[str, str]:
    return departments.routing(call.params["orderer_id"])


@api(
    bp,
    "/api/admin/users/{login}",
    "PATCH",
    summary="発注者の利用者の部署を変更する (null: すべての部署)",
    roles=ADMIN,
    body=USER_PATCH,
    responses={
        200: ("変更した", ref("User")),
        400: ("発注者の利用者でない、登録されていない部署", None),
        404: ("なし", None),
    },
)
def patch_user(call: Call) -> dict[str, object]:
    return departments.bind_user(call.principal, call.params["login"], call.body["department_id"])


# --- the console's page (linked from /admin) ------------------------------------------------------

DONE = {
    "department": "部署を登録しました。",
    "routing": "提出先を変更しました。",
    "user": "利用者の部署を変更しました。",
}


def _page(call: PageCall, orderer_id: str, status: int = 200, **extra: object) -> Response:
    """The orderer's page; without an orderer named, only the form that names one."""
    shown = departments.console(orderer_id) if orderer_id else {"departments": [], "routing": {}, "users": []}
    context = {"errors": [], "done": None, **extra}
    return call.render(
        "html/admin/departments.html", status=status, no_store=True, orderer_id=orderer_id, **shown, **context
    )


@page(bp, "/admin/departments", ("GET", "POST"), audience="admin")
def departments_page(call: PageCall) -> Response:
    """An orderer's departments, its routing by kind and its users' departments; each form posts
    here and is answered with a 303 back to the page (Post/Redirect/Get)."""
    if call.request.method == "GET":
        query = call.request.query_params or {}
        orderer_id = (query.get("orderer_id") or "").strip()[:16]
        return _page(call, orderer_id, done=DONE.get(query.get("done", "")))
    f = call.form
    orderer_id, op = f.get("orderer_id", "").strip()[:16], f.get("op", "")
    try:
        _act(call, orderer_id, op)
    except (ValidationFailed, Conflict) as exc:  # shown above the forms they came from
        return _page(call, orderer_id, status=exc.status, errors=exc.errors)
    return redirect(f"/admin/departments?orderer_id={quote(orderer_id)}&done={quote(op)}")


def _act(call: PageCall, orderer_id: str, op: str) -> None:
    f, who = call.form, call.principal
    if op == "department":
        email = f.get("email", "").strip() or None
        departments.create(who, orderer_id, f.get("id", "").strip(), f.get("name", ""), _email(email))
    elif op == "routing":
        departments.set_routing(who, orderer_id, {k: f[k] for k in ROUTING_BODY["properties"] if f.get(k)})
    elif op == "user":
        departments.bind_user(who, f.get("login", ""), f.get("department_id") or None)
    else:
        raise ValidationFailed([FieldError("op", "操作が正しくありません。")])
