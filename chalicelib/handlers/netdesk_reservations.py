"""Net Desk 契約保証予約 (入札ボンド): the contractor's JSON routes (API.md) and pages.

Handlers parse, authorise, call `services.reservations` and shape the answer.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.domain.reservation import RESERVATION_SCHEMA
from chalicelib.domain.status import RESERVATION_STATUSES
from chalicelib.handlers.endpoint import Call, api, created
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.schemas import ERRORS, paged, ref

reservations = lazy("chalicelib.services.reservations")

bp = Blueprint(__name__)

CONTRACTOR = ("contractor",)
RESERVATION_OUT = ref("Reservation")
LIST_OUT = paged(RESERVATION_OUT)
LIST_QUERY = {
    "status": {"type": "string", "enum": list(RESERVATION_STATUSES)},
    "project": {"type": "string", "maxLength": 200},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "cursor": {"type": "string", "maxLength": 2048},
}


@api(
    bp,
    "/api/reservations",
    "POST",
    summary="契約保証予約 (入札ボンド) を申し込む",
    roles=CONTRACTOR,
    body=RESERVATION_SCHEMA,
    validate_body=False,
    responses={201: ("送信した予約 (予約手数料つき)", RESERVATION_OUT), 400: ("入力誤り (全項目)", ERRORS)},
)
def submit_reservation(call: Call) -> Response:
    out = reservations.submit(call.principal, call.body)
    return created(out, f"/api/reservations/{out['id']}")


@api(
    bp,
    "/api/reservations",
    "GET",
    summary="契約保証予約の一覧 (新しい順)",
    roles=CONTRACTOR,
    query=LIST_QUERY,
    responses={200: ("予約の一覧", LIST_OUT), 400: ("条件の誤り", ERRORS)},
)
def list_reservations(call: Call) -> dict:
    q = call.query
    return reservations.list_mine(call.principal, q.get("status"), q.get("project"), q["limit"], q.get("cursor"))


@api(
    bp,
    "/api/reservations/{reservation_id}",
    "GET",
    summary="契約保証予約",
    roles=CONTRACTOR,
    responses={200: ("予約", RESERVATION_OUT), 404: ("なし", ERRORS)},
)
def get_reservation(call: Call) -> dict:
    return reservations.get(call.principal, call.params["reservation_id"])
