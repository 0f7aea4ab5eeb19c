"""提出 and 受領 pages: 「発注者へ提出」 from 電子保証概要 (with its confirmation step), and D-Sure's
提出一覧 / 提出 (照合, then 受領 or 差戻し beside the findings). Every write is a post answered by a
303 to a page that reads (Post/Redirect/Get)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.domain import labels
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page, redirect

deliveries = lazy("chalicelib.services.deliveries")

bp = Blueprint(__name__)

DONE = {
    "received": "受領しました。受注者に受領をお知らせしました。",
    "returned": "差し戻しました。受注者に理由をお知らせしました。",
}
DELIVER_FIELDS = ("department_id", "orderer_reference", "message")


def _deliver_body(form: dict[str, str]) -> dict[str, Any]:
    return {k: form[k] for k in DELIVER_FIELDS if form.get(k)}


@page(bp, "/netdesk/guarantees/{number}/deliveries", ("POST",), audience="netdesk")
def deliver_page(call: PageCall) -> Response:
    """Two posts: the first shows where it goes; the confirmed one delivers and goes back to 電子保証概要."""
    number = call.params["number"]
    body = _deliver_body(call.form)
    fields = {k: call.form.get(k, "") for k in DELIVER_FIELDS}
    quoted = quote(number, safe="")
    try:
        if call.form.get("confirmed") != "1":
            shown = deliveries.preview(call.principal, number, body)
            return call.render(
                "html/netdesk/deliveries_confirm.html",
                g=shown["guarantee"],
                department_name=shown["department_name"],
                fields=fields,
                quoted=quoted,
                errors=[],
            )
        deliveries.deliver(call.principal, number, body)
    except (ValidationFailed, Conflict) as exc:  # shown on the confirmation page with a way back
        return call.render(
            "html/netdesk/deliveries_confirm.html",
            status=exc.status,
            g={"number": number},
            fields=fields,
            quoted=quoted,
            errors=[e.message for e in exc.errors],
        )
    return redirect(f"/netdesk/guarantees/{quoted}#deliveries")


@page(bp, "/dsure/deliveries", audience="dsure")
def deliveries_page(call: PageCall) -> Response:
    """提出一覧, opening on 未受領."""
    query = call.request.query_params or {}
    status = query.get("status") if query.get("status") in labels.DELIVERY_TAB else "delivered"
    try:
        found, next_cursor = deliveries.inbox(call.principal, status, None, 20, query.get("cursor"))
    except ValidationFailed as exc:  # a stale or hand-made cursor
        return call.render(
            "html/dsure/deliveries.html",
            status=400,
            tab="delivered",
            items=[],
            next_cursor=None,
            errors=[e.message for e in exc.errors],
        )
    return call.render("html/dsure/deliveries.html", items=found, next_cursor=next_cursor, tab=status, errors=[])


def _detail(call: PageCall, d: dict[str, Any], **extra: Any) -> Response:
    context = {"record": {}, "findings": None, "errors": [], "done": None, **extra}
    return call.render("html/dsure/delivery.html", no_store=True, d=d, **context)


@page(bp, "/dsure/deliveries/{delivery_id}", audience="dsure")
def delivery_page(call: PageCall) -> Response:
    """One delivery: the key, the certificate, and the 照合 form (the decision comes after it)."""
    done = DONE.get((call.request.query_params or {}).get("done", ""))
    return _detail(call, deliveries.open_one(call.principal, call.params["delivery_id"]), done=done)


def _record(form: dict[str, str]) -> dict[str, Any]:
    """The clerk's contract record as typed: 請負金額 in yen (commas and full width allowed), 工期末."""
    import jaconv  # off `import app` (cold start)

    out: dict[str, Any] = {}
    amount = jaconv.z2h(form.get("contract_amount", ""), digit=True, ascii=True).replace(",", "").strip()
    if amount:
        if not amount.isdigit() or len(amount) > 13 or int(amount) < 1:
            raise ValidationFailed([FieldError("contract_amount", "請負金額は1円以上の整数で入力してください。")])
        out["contract_amount"] = int(amount)
    period_end = form.get("period_end", "").strip()
    if period_end:
        import datetime as dt

        try:
            out["period_end"] = dt.date.fromisoformat(period_end).isoformat()
        except ValueError:
            raise ValidationFailed([FieldError("period_end", "工期末は日付で入力してください。")]) from None
    return out


@page(bp, "/dsure/deliveries/{delivery_id}/check", ("POST",), audience="dsure")
def check_page(call: PageCall) -> Response:
    """照合する: the findings first, then 受領 and 差戻し beside them."""
    delivery_id = call.params["delivery_id"]
    try:
        record = _record(call.form)
    except ValidationFailed as exc:  # shown beside the form it came from
        return _detail(call, deliveries.open_one(call.principal, delivery_id), errors=[e.message for e in exc.errors])
    shown = deliveries.review(call.principal, delivery_id, record)
    return _detail(call, shown["delivery"], record=record, findings=shown["findings"])


def _version(form: dict[str, str]) -> int | None:
    value = form.get("version", "")
    return int(value) if value.isdigit() and len(value) < 6 else None


@page(bp, "/dsure/deliveries/{delivery_id}/receive", ("POST",), audience="dsure")
def receive_page(call: PageCall) -> Response:
    delivery_id = call.params["delivery_id"]
    try:
        body = {**_record(call.form), "version": _version(call.form)}
        deliveries.receive(call.principal, delivery_id, body)
    except (ValidationFailed, Conflict) as exc:  # decided by someone else first, or a new version came
        return _detail(
            call,
            deliveries.open_one(call.principal, delivery_id),
            status=exc.status,
            errors=[e.message for e in exc.errors],
        )
    return redirect(f"/dsure/deliveries/{delivery_id}?done=received")


@page(bp, "/dsure/deliveries/{delivery_id}/return", ("POST",), audience="dsure")
def return_page(call: PageCall) -> Response:
    delivery_id = call.params["delivery_id"]
    try:
        deliveries.return_one(
            call.principal, delivery_id, {"reason": call.form.get("reason", ""), "version": _version(call.form)}
        )
    except (ValidationFailed, Conflict) as exc:  # no reason, or decided by someone else first
        return _detail(
            call,
            deliveries.open_one(call.principal, delivery_id),
            status=exc.status,
            errors=[e.message for e in exc.errors],
        )
    return redirect(f"/dsure/deliveries/{delivery_id}?done=returned")
