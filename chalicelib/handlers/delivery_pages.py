"""提出 and 受領 pages: 「発注者へ提出」 from 電子保証概要, and D-Sure's 提出一覧 / 提出 (照合, then 受領 or
差戻し beside the findings). The three writes go through the one confirmation step of handlers/confirm.py
(a signed one-time token, Post/Redirect/Get to a page that reads, the refusal beside the form)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.domain import labels
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.handlers.confirm import Confirmation, Facts, confirmed
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.netdesk_guarantees import overview_page
from chalicelib.handlers.page import PageCall, page

deliveries = lazy("chalicelib.services.deliveries")

bp = Blueprint(__name__)

DONE = {
    "received": "受領しました。受注者に受領をお知らせしました。",
    "returned": "差し戻しました。受注者に理由をお知らせしました。",
}
DELIVER_FIELDS = ("department_id", "orderer_reference", "message")


def _deliver_body(form: dict[str, str]) -> dict[str, Any]:
    return {k: form[k] for k in DELIVER_FIELDS if form.get(k)}


DELIVER = Confirmation(
    title="発注者へ提出します",
    button="提出する",
    consequence="提出先の部署は認証キーと保証証書を D-Sure で確認できるようになり、部署のアドレスにお知らせが届きます"
    " (認証キーはメールに書かれません)。受領・差戻しは電子保証概要に表示されます。",
    back="/netdesk/guarantees/{number}",
    fields=DELIVER_FIELDS,
)


def _deliver_facts(call: PageCall, values: dict[str, str]) -> Facts:
    shown = deliveries.preview(call.principal, call.params["number"], _deliver_body(values))
    g = shown["guarantee"]
    return [
        ("保証契約番号", f"{g['number']} ({labels.GUARANTEE_KIND[g['kind']]})"),
        ("工事名", g.get("project_name") or ""),
        ("発注者", g.get("orderer_name") or ""),
        ("提出先の部署", shown["department_name"]),
        ("工事番号等", values["orderer_reference"]),
        ("連絡事項", values["message"]),
    ]


def _overview_errors(call: PageCall, errors: list[FieldError], status: int) -> Response:
    return overview_page(call, status, tuple(e.message for e in errors))


@confirmed(
    bp,
    "/netdesk/guarantees/{number}/deliveries",
    DELIVER,
    facts=_deliver_facts,
    on_error=_overview_errors,
    audience="netdesk",
)
def deliver_page(call: PageCall, values: dict[str, str]) -> str:
    """提出 (confirmed): back to 電子保証概要, whose 提出 section shows it."""
    number = call.params["number"]
    deliveries.deliver(call.principal, number, _deliver_body(values))
    return f"/netdesk/guarantees/{quote(number, safe='')}?done=delivered"


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
    return _detail(call, deliveries.open_one(call.principal, call.params["delivery_id"], with_history=True), done=done)


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
        return _detail(
            call,
            deliveries.open_one(call.principal, delivery_id, with_history=True),
            errors=[e.message for e in exc.errors],
        )
    shown = deliveries.review(call.principal, delivery_id, record)
    return _detail(call, shown["delivery"], record=record, findings=shown["findings"])


def _version(form: dict[str, str]) -> int | None:
    value = form.get("version", "")
    return int(value) if value.isdigit() and len(value) < 6 else None


def _detail_errors(call: PageCall, errors: list[FieldError], status: int) -> Response:
    """A decision refused (no reason, decided by someone else first, a new version came): beside the forms."""
    shown = deliveries.open_one(call.principal, call.params["delivery_id"], with_history=True)
    return _detail(call, shown, status=status, errors=[e.message for e in errors])


def _decision_rows(shown: dict[str, Any], after: str) -> list[tuple[str, ...]]:
    return [
        ("保証契約番号", f"{shown['number']} (第{shown['version']}版)"),
        ("保証契約者", shown.get("contractor_name") or ""),
        ("工事名", shown.get("project_name") or ""),
        ("提出先", shown["department_name"]),
        ("状態", labels.DELIVERY_TAB["delivered"], after),
    ]


RECEIVE = Confirmation(
    title="提出を受領します",
    button="受領する",
    consequence="照合の結果とともに受領を記録し、受注者に受領をお知らせします。新しい版が出るまで、受領は取り消せません。",
    back="/dsure/deliveries/{delivery_id}",
    fields=("version", "contract_amount", "period_end"),
)


def _receive_facts(call: PageCall, values: dict[str, str]) -> Facts:
    record = _record(values)
    shown = deliveries.before_decision(call.principal, call.params["delivery_id"], _version(values), record)
    findings = shown["check"]["findings"]
    checked = "指摘なし" if not findings else " / ".join(f["message"] for f in findings)
    return [*_decision_rows(shown, labels.DELIVERY_TAB["received"]), ("照合の結果", checked)]


@confirmed(
    bp,
    "/dsure/deliveries/{delivery_id}/receive",
    RECEIVE,
    facts=_receive_facts,
    on_error=_detail_errors,
    audience="dsure",
)
def receive_page(call: PageCall, values: dict[str, str]) -> str:
    delivery_id = call.params["delivery_id"]
    deliveries.receive(call.principal, delivery_id, {**_record(values), "version": _version(values)})
    return f"/dsure/deliveries/{delivery_id}?done=received"


RETURN = Confirmation(
    title="提出を差し戻します",
    button="差し戻す",
    consequence="差戻しの理由が受注者にメールと Net Desk で伝わります。受注者が提出し直すまで、この提出は差戻しのままです。",
    back="/dsure/deliveries/{delivery_id}",
    fields=("version", "reason"),
)


def _return_facts(call: PageCall, values: dict[str, str]) -> Facts:
    shown = deliveries.before_decision(
        call.principal, call.params["delivery_id"], _version(values), reason=values["reason"]
    )
    return [*_decision_rows(shown, labels.DELIVERY_TAB["returned"]), ("差戻しの理由", shown["reason"])]


@confirmed(
    bp, "/dsure/deliveries/{delivery_id}/return", RETURN, facts=_return_facts, on_error=_detail_errors, audience="dsure"
)
def return_page(call: PageCall, values: dict[str, str]) -> str:
    delivery_id = call.params["delivery_id"]
    deliveries.return_one(call.principal, delivery_id, {"reason": values["reason"], "version": _version(values)})
    return f"/dsure/deliveries/{delivery_id}?done=returned"
