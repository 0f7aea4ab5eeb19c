"""The administrator's routes for an orderer's departments, its routing by kind, and an orderer
user's department (API.md "提出 and 受領": Departments). Every write is audited by its service."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.handlers.endpoint import Call, api, created
from chalicelib.handlers.schemas import items, ref
from chalicelib.services import departments

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
