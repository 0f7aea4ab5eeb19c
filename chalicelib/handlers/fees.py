"""保証料: the quote (contractors and staff) and the staff's payment and waiver routes (API.md).

Handlers parse, authorise, call `services.fees` and shape the answer.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.handlers.endpoint import Call, api
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.schemas import ERRORS, obj, ref

fee_payments = lazy("chalicelib.services.fee_payments")
fee_quotes = lazy("chalicelib.services.fee_quotes")
fee_statements = lazy("chalicelib.services.fee_statements")

bp = Blueprint(__name__)

YEN_OR_NULL = {"type": ["integer", "null"]}
QUOTE_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["product", "body"],
    "properties": {
        "product": {"type": "string", "enum": ["application", "reservation"]},
        "body": {
            "type": "object",
            "description": "見積もる本文: product が application なら POST /api/applications、reservation なら POST /api/reservations と同じ",
        },
    },
}
QUOTE_OUT = {
    "type": "object",
    "properties": {
        "advance_payment": YEN_OR_NULL,
        "contract_guarantee": YEN_OR_NULL,
        "reservation": YEN_OR_NULL,
        "total": {"type": "integer"},
    },
}
FEES_OUT = obj({"id": {"type": "string"}, "fees": ref("Fees")})
PAYMENT_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["amount", "paid_on"],
    "properties": {
        "amount": {"type": "integer", "minimum": 0, "maximum": 10**13},
        "paid_on": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    },
}
WAIVER_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": {"type": "string"}},
}
STAFF = ("staff",)


@api(
    bp,
    "/api/fees/quote",
    "POST",
    summary="保証料の見積 (送信前の申込・予約の内容から)",
    roles=("contractor", "staff"),
    body=QUOTE_BODY,
    responses={200: ("保証料", QUOTE_OUT), 400: ("入力誤り (body. 以下の項目)", ERRORS)},
)
def quote(call: Call) -> dict:
    return fee_quotes.quote(call.principal, call.body["product"], call.body["body"])


PAYMENT_RESPONSES = {
    200: ("記録した保証料", FEES_OUT),
    400: ("金額・入金日の誤り", ERRORS),
    404: ("なし", ERRORS),
    409: ("入金・免除済み、または処理済み", ERRORS),
}
WAIVER_RESPONSES = {**PAYMENT_RESPONSES, 400: ("理由の誤り", ERRORS)}


@api(
    bp,
    "/api/staff/applications/{application_id}/payment",
    "POST",
    summary="保証料の入金を記録する (申込)",
    roles=STAFF,
    body=PAYMENT_BODY,
    responses=PAYMENT_RESPONSES,
)
def application_payment(call: Call) -> dict:
    return fee_payments.pay(
        call.principal, "application", call.params["application_id"], call.body["amount"], call.body["paid_on"]
    )


@api(
    bp,
    "/api/staff/reservations/{reservation_id}/payment",
    "POST",
    summary="予約手数料の入金を記録する (契約保証予約)",
    roles=STAFF,
    body=PAYMENT_BODY,
    responses=PAYMENT_RESPONSES,
)
def reservation_payment(call: Call) -> dict:
    return fee_payments.pay(
        call.principal, "reservation", call.params["reservation_id"], call.body["amount"], call.body["paid_on"]
    )


@api(
    bp,
    "/api/staff/applications/{application_id}/fee-waiver",
    "POST",
    summary="保証料を免除する (理由必須; 申込)",
    roles=STAFF,
    body=WAIVER_BODY,
    responses=WAIVER_RESPONSES,
)
def application_fee_waiver(call: Call) -> dict:
    return fee_payments.waive(call.principal, "application", call.params["application_id"], call.body["reason"])


@api(
    bp,
    "/api/staff/reservations/{reservation_id}/fee-waiver",
    "POST",
    summary="予約手数料を免除する (理由必須; 契約保証予約)",
    roles=STAFF,
    body=WAIVER_BODY,
    responses=WAIVER_RESPONSES,
)
def reservation_fee_waiver(call: Call) -> dict:
    return fee_payments.waive(call.principal, "reservation", call.params["reservation_id"], call.body["reason"])


@api(
    bp,
    "/api/applications/{application_id}/fee-statement.pdf",
    "GET",
    summary="保証料計算書 PDF (60秒有効の URL へ 302)",
    roles=("contractor",),
    responses={302: ("PDF の短期 URL へ転送", None), 404: ("なし", ERRORS)},
)
def fee_statement(call: Call) -> Response:
    url = fee_statements.fee_statement_url(call.principal, call.params["application_id"])
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})
