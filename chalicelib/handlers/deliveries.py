"""提出 and 受領 (API.md): the contractor's 提出 routes and the orderer's 受領 routes (users and machine
clients). Each handler parses, demands the role, calls one service and shapes the answer."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.handlers.endpoint import Call, api, created, json_response
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.schemas import DELIVERY_STATUSES, items, ref

deliveries = lazy("chalicelib.services.deliveries")
departments = lazy("chalicelib.services.departments")

bp = Blueprint(__name__)

CONTRACTOR = ("contractor",)
ORDERER = ("orderer",)
NO_STORE = {"Cache-Control": "no-store"}

DELIVER_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "department_id": {"type": "string", "maxLength": 32, "description": "省略: 種類ごとの振り分け先"},
        "orderer_reference": {"type": "string", "maxLength": 200, "description": "工事番号等 (40文字まで)"},
        "message": {"type": "string", "maxLength": 1000, "description": "連絡事項 (200文字まで)"},
    },
}
RECORD = {
    "contract_amount": {"type": "integer", "minimum": 1, "maximum": 10**13, "description": "発注者の契約の請負金額"},
    "period_end": {"type": "string", "format": "date", "description": "発注者の契約の工期末"},
}
CHECK_BODY = {"type": "object", "additionalProperties": False, "properties": RECORD}
VERSION = {"type": "integer", "minimum": 1, "description": "判断した版 (古い版なら 409)"}
RECEIVE_BODY = {"type": "object", "additionalProperties": False, "properties": {**RECORD, "version": VERSION}}
RETURN_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": {"type": "string", "maxLength": 1000}, "version": VERSION},
}
RECEIVED = {
    "type": "object",
    "required": ["status", "received_at", "received_by", "check"],
    "properties": {
        "status": {"type": "string", "enum": ["received"]},
        "received_at": {"type": "string"},
        "received_by": {"type": "string"},
        "check": ref("DeliveryCheck"),
    },
}
RETURNED = {
    "type": "object",
    "required": ["status", "returned_reason", "delivery_id"],
    "properties": {
        "status": {"type": "string", "enum": ["returned"]},
        "returned_reason": {"type": "string"},
        "delivery_id": {"type": "string"},
    },
}
LIST_QUERY = {
    "status": {"type": "string", "enum": list(DELIVERY_STATUSES)},
    "department_id": {"type": "string", "maxLength": 32},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    "cursor": {"type": "string", "maxLength": 2048},
}
PAGED = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": ref("OrdererDelivery")},
        "next_cursor": {"type": ["string", "null"]},
    },
}
NOT_FOUND = ("なし (他の発注者・他の部署のものも同じ)", None)
CONFLICT = ("受領・差戻し済み、古い版の指定、または同時に他の判断が行われた", None)


@api(
    bp,
    "/api/orderers/{orderer_id}/departments",
    "GET",
    summary="発注者の部署 (提出先として指定できるもの、メールアドレスは含まない)",
    roles=CONTRACTOR,
    responses={200: ("部署", items(ref("Department"))), 404: ("発注者がない", None)},
)
def orderer_departments(call: Call) -> dict[str, Any]:
    return {"items": departments.list_for_contractor(call.params["orderer_id"])}


@api(
    bp,
    "/api/guarantees/{number}/deliveries",
    "POST",
    summary="発注者へ提出する (種類ごとの振り分け先、または指定した部署へ)",
    roles=CONTRACTOR,
    body=DELIVER_BODY,
    responses={
        201: ("提出した", ref("Handover")),
        200: ("提出済み (未受領・受領済みは変わらず、差戻し後は再提出)", ref("Handover")),
        404: ("保証がない", None),
        409: ("紙・取消・期限切れの保証", None),
    },
)
def deliver(call: Call) -> Response:
    number = call.params["number"]
    out, new = deliveries.deliver(call.principal, number, call.body)
    if new:
        return created(out, f"/api/guarantees/{out['number']}/deliveries/{out['delivery_id']}")
    return json_response(out)


@api(
    bp,
    "/api/guarantees/{number}/deliveries",
    "GET",
    summary="保証の提出 (部署ごとの状態)",
    roles=CONTRACTOR,
    responses={200: ("提出", items(ref("Handover"))), 404: ("保証がない", None)},
)
def list_deliveries(call: Call) -> dict[str, Any]:
    return {"items": deliveries.of_guarantee(call.principal, call.params["number"])}


@api(
    bp,
    "/api/guarantees/{number}/deliveries/{delivery_id}",
    "GET",
    summary="提出 1 件",
    roles=CONTRACTOR,
    responses={200: ("提出", ref("Handover")), 404: ("なし", None)},
)
def get_delivery(call: Call) -> dict[str, Any]:
    return deliveries.one_of_guarantee(call.principal, call.params["number"], call.params["delivery_id"])


@api(
    bp,
    "/api/orderer/deliveries",
    "GET",
    summary="提出一覧 (新しく未受領になった順; 部署に属する利用者はその部署の分だけ)",
    roles=ORDERER,
    query=LIST_QUERY,
    responses={200: ("提出一覧", PAGED)},
)
def orderer_deliveries(call: Call) -> dict[str, Any]:
    q = call.query
    found, next_cursor = deliveries.inbox(
        call.principal, q.get("status"), q.get("department_id"), q["limit"], q.get("cursor")
    )
    return {"items": found, "next_cursor": next_cursor}


@api(
    bp,
    "/api/orderer/deliveries/{delivery_id}",
    "GET",
    summary="提出 1 件 (認証キー・保証証書・確認結果; 閲覧履歴に残る)",
    roles=ORDERER,
    responses={200: ("提出", ref("OrdererDelivery")), 404: NOT_FOUND},
)
def orderer_delivery(call: Call) -> Response:
    return json_response(deliveries.open_one(call.principal, call.params["delivery_id"]), headers=NO_STORE)


@api(
    bp,
    "/api/orderer/deliveries/{delivery_id}/check",
    "POST",
    summary="保証証書を発注者の契約の記録と照合する (何も変えない)",
    roles=ORDERER,
    body=CHECK_BODY,
    responses={200: ("照合結果", ref("DeliveryCheck")), 404: NOT_FOUND},
)
def check_delivery(call: Call) -> dict[str, Any]:
    return deliveries.check(call.principal, call.params["delivery_id"], call.body)


@api(
    bp,
    "/api/orderer/deliveries/{delivery_id}/receive",
    "POST",
    summary="受領する (照合結果を記録; 指摘があっても受領できる)",
    roles=ORDERER,
    body=RECEIVE_BODY,
    responses={200: ("受領した", RECEIVED), 404: NOT_FOUND, 409: CONFLICT},
)
def receive_delivery(call: Call) -> dict[str, Any]:
    return deliveries.receive(call.principal, call.params["delivery_id"], call.body)


@api(
    bp,
    "/api/orderer/deliveries/{delivery_id}/return",
    "POST",
    summary="差し戻す (理由は受注者にメールで届く)",
    roles=ORDERER,
    body=RETURN_BODY,
    responses={200: ("差し戻した", RETURNED), 404: NOT_FOUND, 409: CONFLICT},
)
def return_delivery(call: Call) -> dict[str, Any]:
    return deliveries.return_one(call.principal, call.params["delivery_id"], call.body)
