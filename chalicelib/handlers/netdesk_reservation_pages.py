"""Net Desk's 契約保証予約 (入札ボンド) form: the same three steps as a 保証申込
(申込作成 → 申込確認 with the 予約手数料 → 送信完了), plain HTML, no JavaScript.

Posted fields are named by their body path; the service reviews them exactly as
`POST /api/reservations` would, so the page and the API give the same errors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.domain import clock
from chalicelib.domain.application import parse_amount
from chalicelib.domain.branches import BRANCHES
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.netdesk_applications import delivery_from_form, in_form_order
from chalicelib.handlers.page import PageCall, page, redirect

auth = lazy("chalicelib.services.auth")
fee_statements = lazy("chalicelib.services.fee_statements")
fees = lazy("chalicelib.services.fees")
orderers = lazy("chalicelib.services.orderers")
reservations = lazy("chalicelib.services.reservations")

bp = Blueprint(__name__)

DELIVERY_FIELDS = (
    "delivery.branch_id", "delivery.receipt", "delivery.receipt_date", "delivery.visit_date", "delivery.visit_time",
    "delivery.notify", "delivery.email", "delivery.mail_to.name", "delivery.mail_to.postal_code",
    "delivery.mail_to.address",
)  # fmt: skip
FORM_FIELDS = (
    "project.name", "project.orderer_id", "project.contract_type", "project.bid_date", "project.location",
    "bid_amount", "form", *DELIVERY_FIELDS,
)  # fmt: skip


def reservation_body(f: dict[str, str]) -> dict[str, Any]:
    """The posted fields as API.md's reservation body (the amount parsed where it reads as yen)."""
    return {
        "project": {
            "name": f.get("project.name", ""),
            "orderer_id": f.get("project.orderer_id", ""),
            "contract_type": f.get("project.contract_type", ""),
            "bid_date": f.get("project.bid_date", ""),
            "location": f.get("project.location", ""),
        },
        "bid_amount": parse_amount(f.get("bid_amount", "")) if f.get("bid_amount") else "",
        "form": f.get("form", ""),
        "delivery": delivery_from_form(f),
    }


def _defaults(call: PageCall) -> dict[str, str]:
    return {
        "project.contract_type": "construction",
        "form": "electronic",
        "delivery.branch_id": next(iter(BRANCHES)),
        "delivery.receipt": "mail",
        "delivery.notify": "true",
        "delivery.mail_to.name": call.principal.org_name if call.principal else "",
        # the help says the login's own address is filled in (as on the 保証申込 form)
        "delivery.email": (auth.contact_email(call.principal.login) if call.principal else None) or "",
    }


def _context(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "v": values,
        "errors": errors,
        "fields": FORM_FIELDS,
        "orderers": orderers.list_orderers(),
        "branches": list(BRANCHES.values()),
        "today": clock.today().isoformat(),
    }


@page(bp, "/netdesk/reservations/new", ("GET", "POST"), audience="netdesk")
def new_reservation(call: PageCall) -> Response:
    if call.request.method == "GET":
        done = (call.request.query_params or {}).get("done")
        if done:
            try:
                reservation = reservations.get(call.principal, done)
            except NotFound:
                return redirect("/netdesk/guarantees?tab=bond")
            return call.render("html/netdesk/reservations_done.html", reservation=reservation)
        return call.render("html/netdesk/reservations_new.html", **_context(_defaults(call), {}))

    values = {name: call.form.get(name, "") for name in FORM_FIELDS}
    step = call.form.get("step", "confirm")
    if step == "edit":
        return call.render("html/netdesk/reservations_new.html", **_context(values, {}))
    body = reservation_body(values)
    try:
        if step == "submit":
            answer = reservations.submit(call.principal, body)
            return redirect("/netdesk/reservations/new?done=" + quote(answer["id"]))
        form = reservations.review(call.principal, body)
    except (ValidationFailed, Conflict) as exc:  # Conflict: store contention past its retries, as before
        errors = in_form_order(exc.errors, FORM_FIELDS)
        return call.render("html/netdesk/reservations_new.html", status=400, **_context(values, errors))
    orderer = orderers.get_orderer(form["project"]["orderer_id"])
    return call.render(
        "html/netdesk/reservations_confirm.html",
        form=form,
        fee=fees.quote_form("reservation", form).as_api(),
        promised=reservations.promised_amount(form["bid_amount"]),
        orderer_name=orderer.name if orderer else form["project"]["orderer_id"],
        branch=BRANCHES.get(form["delivery"]["branch_id"]),
        **_context(values, {}),
    )


@page(bp, "/netdesk/reservations/{reservation_id}", audience="netdesk")
def reservation_detail(call: PageCall) -> Response:
    """申込詳細 of a 契約保証予約: its state, the 予約手数料 (入金状況, 振込先, 計算書) and what was sent."""
    r = reservations.get(call.principal, call.params["reservation_id"])
    orderer = orderers.get_orderer(r["project"]["orderer_id"])
    return call.render(
        "html/netdesk/reservation_detail.html",
        r=r,
        orderer_name=orderer.name if orderer else r["project"]["orderer_id"],
        branch=BRANCHES.get((r["delivery"] or {}).get("branch_id") or ""),
        payee=fee_statements.PAYEE,
    )


@page(bp, "/netdesk/reservations/{reservation_id}/fee-statement.pdf", audience="netdesk")
def reservation_fee_statement(call: PageCall) -> Response:
    """予約手数料の計算書 (振込先つき) from the pages: a redirect to its 60-second URL."""
    url = fee_statements.reservation_fee_statement_url(call.principal, call.params["reservation_id"])
    return redirect(url, headers={"Cache-Control": "no-store"})
