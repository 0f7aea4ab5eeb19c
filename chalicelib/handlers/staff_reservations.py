"""The clerks' 契約保証予約 routes (API.md): queue, reject, issue; and their console pages.

Handlers parse, authorise, call `services.reservations` and shape the answer.
Payment and waiver of the 予約手数料 are in handlers/fees.py.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.domain.status import RESERVATION_STATUSES
from chalicelib.handlers.endpoint import Call, api, created
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.schemas import ERRORS, paged, ref

reservations = lazy("chalicelib.services.reservations")

bp = Blueprint(__name__)

STAFF = ("staff",)
LIST_QUERY = {
    "status": {"type": "string", "enum": list(RESERVATION_STATUSES), "default": "submitted"},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "cursor": {"type": "string", "maxLength": 2048},
}
REJECT_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": {"type": "string"}},
}
ISSUED_OUT = {
    "type": "object",
    "properties": {
        "number": {"type": "string"},
        "form": {"type": "string", "enum": ["electronic", "paper"]},
        "auth_key": {"type": ["string", "null"]},
        "fee": {"type": "integer"},
    },
}


@api(
    bp,
    "/api/staff/reservations",
    "GET",
    summary="契約保証予約の一覧 (支店の審査待ちなど、状態別)",
    roles=STAFF,
    query=LIST_QUERY,
    responses={200: ("予約の一覧", paged(ref("Reservation"))), 400: ("条件の誤り", ERRORS)},
)
def list_staff_reservations(call: Call) -> dict:
    q = call.query
    return reservations.list_for_staff(call.principal, q["status"], q["limit"], q.get("cursor"))


@api(
    bp,
    "/api/staff/reservations/{reservation_id}/reject",
    "POST",
    summary="契約保証予約を却下する",
    roles=STAFF,
    body=REJECT_BODY,
    responses={
        200: ("却下した予約", ref("Reservation")),
        400: ("理由の誤り", ERRORS),
        404: ("なし", ERRORS),
        409: ("処理済み", ERRORS),
    },
)
def reject_reservation(call: Call) -> dict:
    return reservations.reject(call.principal, call.params["reservation_id"], call.body["reason"])


@api(
    bp,
    "/api/staff/reservations/{reservation_id}/issue",
    "POST",
    summary="契約保証予約証書を発行する (予約番号・認証キー)",
    roles=STAFF,
    responses={
        201: ("発行した予約", ISSUED_OUT),
        400: ("規則違反", ERRORS),
        404: ("なし", ERRORS),
        409: ("処理済み、または予約手数料が未入金", ERRORS),
    },
)
def issue_reservation(call: Call) -> Response:
    out = reservations.issue(call.principal, call.params["reservation_id"])
    return created(out, f"/api/staff/guarantees/{out['number']}", headers={"Cache-Control": "no-store"})
