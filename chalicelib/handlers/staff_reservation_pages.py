"""The clerks' pages for issue 17: the 契約保証予約 queue, one reservation (issue / reject / its
予約手数料's payment or waiver). The application's fee forms are in handlers/staff.py.

Plain HTML forms (CSRF-checked by `page`), no JavaScript: each POST calls one
service and either redirects back to the page or shows it again with the
errors beside the form, in Japanese.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.page import PageCall, page, redirect
from chalicelib.services import fee_payments, reservations

bp = Blueprint(__name__)


@page(bp, "/staff/reservations", audience="staff")
def reservations_page(call: PageCall) -> Response:
    params = call.request.query_params or {}
    status = params.get("status") if params.get("status") in reservations.STATUSES else "submitted"
    try:
        listed = reservations.list_for_staff(call.principal, status, DEFAULT_LIMIT, params.get("cursor"))
    except ValidationFailed:
        listed = reservations.list_for_staff(call.principal, status, DEFAULT_LIMIT, None)
    return call.render(
        "html/staff/reservations.html", items=listed["items"], list_status=status, next_cursor=listed["next_cursor"]
    )


def _reservation_page(call: PageCall, errors: list[FieldError] | None = None, status: int = 200) -> Response:
    r = reservations.staff_view(call.principal, call.params["reservation_id"])
    return call.render("html/staff/reservation.html", status=status, r=r, errors=errors or [])


@page(bp, "/staff/reservations/{reservation_id}", audience="staff")
def reservation_page(call: PageCall) -> Response:
    return _reservation_page(call)


@page(bp, "/staff/reservations/{reservation_id}/issue", ("POST",), audience="staff")
def reservation_issue_page(call: PageCall) -> Response:
    try:
        out = reservations.issue(call.principal, call.params["reservation_id"])
    except (ValidationFailed, Conflict) as exc:
        return _reservation_page(call, exc.errors, status=exc.status)
    return call.render(
        "html/staff/reservation_issued.html", no_store=True, issued=out, reservation_id=call.params["reservation_id"]
    )


@page(bp, "/staff/reservations/{reservation_id}/reject", ("POST",), audience="staff")
def reservation_reject_page(call: PageCall) -> Response:
    try:
        reservations.reject(call.principal, call.params["reservation_id"], call.form.get("reason") or "")
    except (ValidationFailed, Conflict) as exc:
        return _reservation_page(call, exc.errors, status=exc.status)
    return redirect(f"/staff/reservations/{call.params['reservation_id']}")


# ---------------------------------------------------------------- 予約手数料: payment / waiver


def settle_from_form(call: PageCall, kind: str, ident: str, how: str) -> None:
    """Record the payment (amount, paid_on) or the waiver (reason) a staff form posted: ValidationFailed
    for what was typed, Conflict when the fee is already settled or the subject already processed."""
    if how == "payment":
        amount = (call.form.get("amount") or "").replace(",", "").strip()
        if not (amount.isascii() and amount.isdigit()):
            raise ValidationFailed([FieldError("amount", "入金額を半角数字(円)で入力してください。")])
        fee_payments.pay(call.principal, kind, ident, int(amount), (call.form.get("paid_on") or "").strip())
    else:
        fee_payments.waive(call.principal, kind, ident, call.form.get("reason") or "")


@page(bp, "/staff/reservations/{reservation_id}/fee/{how}", ("POST",), audience="staff")
def reservation_fee_page(call: PageCall) -> Response:
    if call.params["how"] not in ("payment", "waiver"):
        raise ApiError(404)
    try:
        settle_from_form(call, "reservation", call.params["reservation_id"], call.params["how"])
    except (ValidationFailed, Conflict) as exc:
        return _reservation_page(call, exc.errors, status=exc.status)
    return redirect(f"/staff/reservations/{call.params['reservation_id']}")
