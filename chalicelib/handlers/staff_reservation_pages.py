"""The clerks' pages for issue 17: the 契約保証予約 queue, one reservation (issue / reject / its
予約手数料's payment or waiver). The application's fee forms are in handlers/staff.py.

Plain HTML forms (CSRF-checked by `page`), no JavaScript: each write is behind its confirmation
step (handlers/confirm.py) and answers a redirect to a GET page, or shows the reservation again
with the errors beside the form, in Japanese.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import labels, reasons
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.domain.status import RESERVATION_STATUSES
from chalicelib.handlers import fee_forms
from chalicelib.handlers.confirm import Confirmation, confirmed
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page, redirect
from chalicelib.render import formatting

fees = lazy("chalicelib.services.fees")
reservations = lazy("chalicelib.services.reservations")

bp = Blueprint(__name__)


@page(bp, "/staff/reservations", audience="staff")
def reservations_page(call: PageCall) -> Response:
    params = call.request.query_params or {}
    status = params.get("status") if params.get("status") in RESERVATION_STATUSES else "submitted"
    try:
        listed = reservations.list_for_staff(call.principal, status, DEFAULT_LIMIT, params.get("cursor"), names=True)
    except ValidationFailed:
        listed = reservations.list_for_staff(call.principal, status, DEFAULT_LIMIT, None, names=True)
    return call.render(
        "html/staff/reservations.html", items=listed["items"], list_status=status, next_cursor=listed["next_cursor"]
    )


def _reservation_page(call: PageCall, errors: list[FieldError] | None = None, status: int = 200) -> Response:
    r = reservations.staff_view(call.principal, call.params["reservation_id"])
    done = labels.DONE.get((call.request.query_params or {}).get("done") or "")
    return call.render("html/staff/reservation.html", status=status, r=r, errors=errors or [], done=done)


def _reservation_errors(call: PageCall, errors: list[FieldError], status: int) -> Response:
    return _reservation_page(call, errors, status=status)


@page(bp, "/staff/reservations/{reservation_id}", audience="staff")
def reservation_page(call: PageCall) -> Response:
    return _reservation_page(call)


def _reservation_facts(call: PageCall) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """The reservation a confirmation is about: who, what and how much, as rows."""
    r = reservations.staff_view(call.principal, call.params["reservation_id"])
    if r["status"] != "submitted":
        raise Conflict([reservations.DONE])
    return r, [
        ("受付番号", formatting.application_number(r["id"])),
        ("受注者", r["applicant_name"]),
        ("発注者", r["orderer_name"]),
        ("工事名", r["project"]["name"]),
        ("入札金額", formatting.yen(r["bid_amount"])),
        ("予約手数料", f"{formatting.yen(r['fees']['total'])} ({labels.fee_state(r['fees'])})"),
    ]


def _issue_facts(call: PageCall, _values: dict[str, str]) -> list[tuple[str, ...]]:
    r, rows = _reservation_facts(call)
    if not (r["fees"]["paid_on"] or r["fees"]["waived"]):
        raise Conflict([fees.UNPAID])
    return rows


ISSUE = Confirmation(
    title="契約保証予約証書を発行します",
    button="予約証書を発行する",
    consequence=labels.CONSEQUENCE["reservation_issue"],
    back="/staff/reservations/{reservation_id}",
)


@confirmed(bp, "/staff/reservations/{reservation_id}/issue", ISSUE, facts=_issue_facts, on_error=_reservation_errors)
def reservation_issue_page(call: PageCall, _values: dict[str, str]) -> str:
    """予約証書の発行, confirmed; the result is a GET page (Post/Redirect/Get)."""
    reservations.issue(call.principal, call.params["reservation_id"])
    return f"/staff/reservations/{call.params['reservation_id']}/issued"


@page(bp, "/staff/reservations/{reservation_id}/issued", audience="staff")
def reservation_issued_page(call: PageCall) -> Response:
    issued = reservations.issued_result(call.principal, call.params["reservation_id"])
    if issued is None:  # not issued (yet): its page
        return redirect(f"/staff/reservations/{call.params['reservation_id']}")
    return call.render(
        "html/staff/reservation_issued.html", no_store=True, issued=issued, reservation_id=call.params["reservation_id"]
    )


def _reject_facts(call: PageCall, values: dict[str, str]) -> list[tuple[str, ...]]:
    reason = reasons.required(values["reason"], what="差戻し")
    return [*_reservation_facts(call)[1], ("差戻しの理由", reason)]


REJECT = Confirmation(
    title="契約保証予約を差戻します",
    button="差戻す",
    consequence=labels.CONSEQUENCE["reservation_reject"],
    back="/staff/reservations/{reservation_id}",
    fields=("reason",),
)


@confirmed(bp, "/staff/reservations/{reservation_id}/reject", REJECT, facts=_reject_facts, on_error=_reservation_errors)
def reservation_reject_page(call: PageCall, values: dict[str, str]) -> str:
    reservations.reject(call.principal, call.params["reservation_id"], values["reason"])
    return f"/staff/reservations/{call.params['reservation_id']}?done=reservation_reject"


# ---------------------------------------------------------------- 予約手数料: payment / waiver


def _fee_facts(call: PageCall, values: dict[str, str]) -> list[tuple[str, ...]]:
    settled = fee_forms.settle_facts(call, "reservation", call.params["reservation_id"], values)
    return [*_reservation_facts(call)[1], *settled]


def _fee_step(call: PageCall) -> Confirmation:
    return fee_forms.fee_step(call).at("/staff/reservations/{reservation_id}")


@confirmed(
    bp, "/staff/reservations/{reservation_id}/fee/{how}", _fee_step, facts=_fee_facts, on_error=_reservation_errors
)
def reservation_fee_page(call: PageCall, values: dict[str, str]) -> str:
    fee_forms.settle(call, "reservation", call.params["reservation_id"], values)
    return f"/staff/reservations/{call.params['reservation_id']}?done={call.params['how']}"
