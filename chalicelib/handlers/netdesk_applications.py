"""Net Desk 保証申込: the JSON routes and the three-step form (申込作成 → 申込確認 → 送信完了).

The form posts urlencoded fields named by the body's dotted paths
(`advance_payment.amount`), so an error's `field` is also the input it belongs
beside. `body_from_form` turns the fields into API.md's body and both the form
and the API call the same `services.applications` (one validation path).
Values travel between steps as hidden fields, exactly as typed; each review
re-normalises them, so nothing the person entered is lost on 修正する.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote, urlencode

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.domain import clock
from chalicelib.domain.application import APPLICATION_SCHEMA, parse_amount
from chalicelib.domain.branches import BRANCHES
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.status import APPLICATION_STATUSES
from chalicelib.handlers.endpoint import Call, api, cookies, created, json_response
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page, redirect
from chalicelib.handlers.schemas import paged as page_of
from chalicelib.handlers.schemas import ref
from chalicelib.render import links

application_detail_service = lazy("chalicelib.services.application_detail")
applications = lazy("chalicelib.services.applications")
auth = lazy("chalicelib.services.auth")
drafts = lazy("chalicelib.services.drafts")
fee_statements = lazy("chalicelib.services.fee_statements")
fees = lazy("chalicelib.services.fees")
orderers = lazy("chalicelib.services.orderers")
reservations = lazy("chalicelib.services.reservations")

bp = Blueprint(__name__)

_APPLICATION_OUT = ref("Application")
_LIST_OUT = page_of(ref("Application"))


# ---------------------------------------------------------------- JSON API


@api(
    bp,
    "/api/applications",
    "POST",
    summary="保証申込を送信する (Idempotency-Key ヘッダで再送・同時送信を1件にまとめる)",
    roles=("contractor",),
    body=APPLICATION_SCHEMA,
    validate_body=False,
    headers={"Idempotency-Key": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e ]+$"}},
    responses={
        201: ("送信した申込 (正規化した内容)", _APPLICATION_OUT),
        400: ("入力誤り (全項目)", None),
        409: ("Idempotency-Key が別の内容で使用済み、または処理中", None),
        413: ("大きすぎる", None),
        415: ("Content-Type が違う", None),
    },
)
def submit_application(call: Call) -> Response:
    # The service checks schema and rules together: a missing field does not hide another's bad value.
    status, answer = applications.submit(call.principal, call.body, call.header("Idempotency-Key"))
    return created(answer, f"/api/applications/{answer['id']}") if status == 201 else json_response(answer, status)


@api(
    bp,
    "/api/applications",
    "GET",
    summary="自社の保証申込の一覧 (新しい順)",
    roles=("contractor",),
    query={
        "status": {"type": "string", "enum": list(APPLICATION_STATUSES)},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "cursor": {"type": "string", "maxLength": 2048},
    },
    responses={200: ("申込一覧", _LIST_OUT)},
)
def list_applications(call: Call) -> dict[str, Any]:
    q = call.query
    return applications.list_mine(call.principal, q.get("status"), q.get("limit", 20), q.get("cursor"))


@api(
    bp,
    "/api/applications/{application_id}",
    "GET",
    summary="自社の保証申込 1件",
    roles=("contractor",),
    responses={200: ("申込", _APPLICATION_OUT), 404: ("見つからない (他社の申込も同じ)", None)},
)
def get_application(call: Call) -> dict[str, Any]:
    return applications.get(call.principal, call.params["application_id"])


# ---------------------------------------------------------------- form ⇄ body

#: Every form field, in the order of the form (the hidden fields of 申込確認 follow it).
FORM_FIELDS = (
    "project.name", "project.orderer_id", "project.contract_type", "project.jv_name", "project.contract_amount",
    "project.period_start", "project.period_end", "project.location",
    "advance_payment.requested", "advance_payment.this_year_amount", "advance_payment.amount",
    "advance_payment.deposit_bank", "advance_payment.redeposit", "advance_payment.fee_payment",
    "advance_payment.intermediate", "advance_payment.intermediate_amount", "advance_payment.intermediate_planned",
    "advance_payment.form",
    "contract_guarantee.requested", "contract_guarantee.amount", "contract_guarantee.fee_payment",
    "contract_guarantee.low_bid", "contract_guarantee.form", "contract_guarantee.reservation_number",
    "bid.order_type", "bid.award_date", "bid.rounds", "bid.bidders", "bid.disqualified", "bid.second_bidder",
    "bid.second_amount_k", "bid.highest_bidder", "bid.highest_amount_k",
    "delivery.branch_id", "delivery.receipt", "delivery.receipt_date", "delivery.visit_date", "delivery.visit_time",
    "delivery.notify", "delivery.email", "delivery.mail_to.name", "delivery.mail_to.postal_code",
    "delivery.mail_to.address",
)  # fmt: skip


def _opt(value: str | None) -> str | None:
    return value if value not in (None, "") else None


def body_from_form(f: dict[str, str]) -> dict[str, Any]:
    """The posted fields as API.md's application body (amounts parsed where they read as yen)."""
    return {
        "project": _project(f),
        "advance_payment": _advance_payment(f) if f.get("advance_payment.requested") else None,
        "contract_guarantee": _contract_guarantee(f) if f.get("contract_guarantee.requested") else None,
        "bid": _bid(f),
        "delivery": delivery_from_form(f),
    }


def _amount(f: dict[str, str], name: str) -> Any:
    return parse_amount(f.get(name, ""))


def _required_amount(f: dict[str, str], name: str) -> Any:
    """An amount the section cannot go without: left blank, it stays "" (the schema's 入力してください)."""
    return _amount(f, name) if f.get(name) else ""


def _flag(f: dict[str, str], name: str) -> bool:
    return f.get(name) == "true"


def _project(f: dict[str, str]) -> dict[str, Any]:
    return {
        "name": f.get("project.name", ""),
        "orderer_id": f.get("project.orderer_id", ""),
        "contract_type": f.get("project.contract_type", ""),
        "jv_name": _opt(f.get("project.jv_name")),
        "contract_amount": _required_amount(f, "project.contract_amount"),
        "period_start": f.get("project.period_start", ""),
        "period_end": f.get("project.period_end", ""),
        "location": f.get("project.location", ""),
    }


def _advance_payment(f: dict[str, str]) -> dict[str, Any]:
    return {
        "amount": _required_amount(f, "advance_payment.amount"),
        "this_year_amount": _amount(f, "advance_payment.this_year_amount"),
        "intermediate_amount": _amount(f, "advance_payment.intermediate_amount"),
        "deposit_bank": f.get("advance_payment.deposit_bank", ""),
        "redeposit": _flag(f, "advance_payment.redeposit"),
        "fee_payment": f.get("advance_payment.fee_payment", ""),
        "intermediate": _flag(f, "advance_payment.intermediate"),
        "intermediate_planned": _flag(f, "advance_payment.intermediate_planned"),
        "form": f.get("advance_payment.form", ""),
    }


def _contract_guarantee(f: dict[str, str]) -> dict[str, Any]:
    return {
        "amount": _required_amount(f, "contract_guarantee.amount"),
        "fee_payment": f.get("contract_guarantee.fee_payment", ""),
        "form": f.get("contract_guarantee.form", ""),
        "low_bid": _flag(f, "contract_guarantee.low_bid"),
        "reservation_number": _opt(f.get("contract_guarantee.reservation_number")),
    }


def _bid(f: dict[str, str]) -> dict[str, Any]:
    return {
        "order_type": f.get("bid.order_type", ""),
        "award_date": f.get("bid.award_date", ""),
        **{
            name: _amount(f, f"bid.{name}")
            for name in ("rounds", "bidders", "disqualified", "second_amount_k", "highest_amount_k")
        },
        "second_bidder": _opt(f.get("bid.second_bidder")),
        "highest_bidder": _opt(f.get("bid.highest_bidder")),
    }


def in_form_order(errors: list[FieldError], order: tuple[str, ...]) -> dict[str, str]:
    """The errors by field, in the order the form shows its fields (the summary reads top to bottom):
    a section's error (`advance_payment`) sits with its first field; anything unknown comes last."""

    def position(field: str) -> int:
        field = "delivery.visit_date" if field == "delivery.visit_at" else field  # one error for two inputs
        for i, name in enumerate(order):
            if name == field or name.startswith(field + ".") or field.startswith(name + "."):
                return i
        return len(order)

    return {e.field: e.message for e in sorted(errors, key=lambda e: position(e.field))}


def delivery_from_form(f: dict[str, str]) -> dict[str, Any]:
    """The 送付 section (shared with the 契約保証予約 form): a visit's date and time joined, and
    only the fields of the chosen way of receipt."""
    receipt = f.get("delivery.receipt", "")
    visit_date, visit_time = f.get("delivery.visit_date", ""), f.get("delivery.visit_time", "")
    visit_at = f"{visit_date}T{visit_time}" if visit_date and visit_time else (visit_date or visit_time or None)
    return {
        "branch_id": f.get("delivery.branch_id", ""),
        "receipt": receipt,
        "receipt_date": (f.get("delivery.receipt_date") or None) if receipt == "mail" else None,
        "visit_at": visit_at if receipt == "counter" else None,
        "notify": _flag(f, "delivery.notify"),
        "email": _opt(f.get("delivery.email")),
        "mail_to": {
            "name": _opt(f.get("delivery.mail_to.name")),
            "postal_code": _opt(f.get("delivery.mail_to.postal_code")),
            "address": _opt(f.get("delivery.mail_to.address")),
        },
    }


def _defaults(call: PageCall) -> dict[str, str]:
    """A fresh form: the seed's usual choices, the contractor's own name as 宛名 and its mail address."""
    email = auth.contact_email(call.principal.login) if call.principal else None
    return {
        "project.contract_type": "construction",
        "advance_payment.requested": "1",
        "advance_payment.redeposit": "false",
        "advance_payment.fee_payment": "lump_sum",
        "advance_payment.intermediate": "false",
        "advance_payment.intermediate_planned": "false",
        "advance_payment.form": "electronic",
        "contract_guarantee.requested": "1",
        "contract_guarantee.fee_payment": "lump_sum",
        "contract_guarantee.low_bid": "false",
        "contract_guarantee.form": "electronic",
        "bid.order_type": "general",
        "delivery.branch_id": next(iter(BRANCHES)),
        "delivery.receipt": "mail",
        "delivery.notify": "true",
        "delivery.email": email or "",
        "delivery.mail_to.name": call.principal.org_name if call.principal else "",
    }


#: The form's sections, each with its 「…をクリア」 button: key → the field prefixes it clears.
#: (Their headings are `labels.FORM_SECTION`.)
SECTIONS: dict[str, tuple[str, ...]] = {
    "project": ("project.",),
    "guarantee": ("advance_payment.", "contract_guarantee."),
    "bid": ("bid.",),
    "information": ("delivery.",),
}


def _cleared(call: PageCall, values: dict[str, str], section: str) -> dict[str, str]:
    """The values with one section back to a fresh form's (the others untouched)."""
    prefixes = SECTIONS.get(section, ())
    defaults = _defaults(call)
    return {name: (defaults.get(name, "") if name.startswith(prefixes) else value) for name, value in values.items()}


def form_from_application(application: dict[str, Any]) -> dict[str, str]:
    """A stored application back into the form's fields (複製して新規作成): the inverse of body_from_form."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    values: dict[str, str] = {}
    for name in FORM_FIELDS:
        section, _, rest = name.partition(".")
        node: Any = application.get(section)
        if rest == "requested":
            values[name] = "1" if node else ""
            continue
        for part in rest.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        values[name] = text(node)
    visit = (application.get("delivery") or {}).get("visit_at") or ""
    if visit:
        values["delivery.visit_date"], values["delivery.visit_time"] = visit[:10], visit[11:16]
    return values


def _context(call: PageCall, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "v": values,
        "errors": errors,
        "fields": FORM_FIELDS,
        "sections": SECTIONS,
        "orderers": orderers.list_orderers(),
        "branches": list(BRANCHES.values()),
        "today": clock.today().isoformat(),
        "notice": None,
    }


def _prefill(call: PageCall, values: dict[str, str], number: str) -> str | None:
    """Fill a fresh form from the contractor's own reservation (issue 17); its number, or None if not theirs."""
    found = reservations.prefill(call.principal, number)
    if found is None:
        return None
    for section in ("project", "contract_guarantee", "delivery"):
        for name, value in (found.get(section) or {}).items():
            if isinstance(value, bool):
                values[f"{section}.{name}"] = "true" if value else "false"
            elif value is not None and not isinstance(value, dict):
                values[f"{section}.{name}"] = str(value)
    values["project.contract_amount"] = str(found["bid_amount"])
    values["contract_guarantee.requested"] = "1"
    return found["contract_guarantee"]["reservation_number"]


# ---------------------------------------------------------------- pages

DRAFT_COOKIE = "esurety_draft"
RESUME_PATH = "/netdesk/applications/new?resume=1"


def _draft_cookie(value: str, max_age: int) -> str:
    secure = "" if settings.current().is_local else "; Secure"
    path = links.url("/netdesk/applications")  # under the request's base path (render/links.py)
    return f"{DRAFT_COOKIE}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"


def keep_form_and_log_in(call: PageCall) -> Response:
    """A form post whose session has ended: keep what was typed, log in, come back to 申込確認.

    Only a post from this site's own page is kept (Sec-Fetch-Site), so another
    site cannot plant a draft; even then it would only be shown for review.
    """
    login = "/netdesk/login?" + urlencode({"next": RESUME_PATH, "notice": "expired"})
    site = ((call.request.headers or {}).get("sec-fetch-site") or "same-origin").lower()
    if site not in ("same-origin", "none"):
        return redirect("/netdesk/login")
    values = {name: call.form.get(name, "") for name in FORM_FIELDS}
    if not any(values.values()):
        return redirect(login)
    draft_id = drafts.save(values)
    return redirect(login, headers={"Set-Cookie": _draft_cookie(draft_id, drafts.TTL_SECONDS)})


def _confirm_or_edit(call: PageCall, values: dict[str, str], notice: str | None = None) -> Response:
    """申込確認 for values that pass every rule, else 申込作成 with each error beside its field."""
    body = body_from_form(values)
    try:
        form = applications.review(call.principal, body)
    except ValidationFailed as exc:
        errors = in_form_order(exc.errors, FORM_FIELDS)
        context = {**_context(call, values, errors), "notice": notice}
        return call.render("html/netdesk/applications_new.html", status=400, **context)
    orderer = orderers.get_orderer(form["project"]["orderer_id"])
    return call.render(
        "html/netdesk/applications_confirm.html",
        form=form,
        fee=fees.quote_form("application", form).as_api(),
        orderer_name=orderer.name if orderer else form["project"]["orderer_id"],
        branch=BRANCHES.get(form["delivery"]["branch_id"]),
        idempotency_key=secrets.token_urlsafe(18),
        **{**_context(call, values, {}), "notice": notice},
    )


@page(bp, "/netdesk/applications/{application_id}/fee-statement.pdf", audience="netdesk")
def fee_statement_page(call: PageCall) -> Response:
    """保証料計算書 from the pages (session cookie): a redirect to its 60-second URL."""
    url = fee_statements.fee_statement_url(call.principal, call.params["application_id"])
    return redirect(url, headers={"Cache-Control": "no-store"})


def _new_form_get(call: PageCall) -> Response:
    query = call.request.query_params or {}
    done = query.get("done")
    if done:
        try:
            application = applications.get(call.principal, done)
        except NotFound:
            return redirect("/netdesk/applications")
        return call.render("html/netdesk/applications_done.html", application=application)
    if query.get("resume"):
        kept = drafts.take(cookies(call.request).get(DRAFT_COOKIE))
        if kept is None:
            context = {
                **_context(call, _defaults(call), {}),
                "notice": "一時保存した入力内容は見つかりませんでした (有効期限は30分です)。",
            }
            response = call.render("html/netdesk/applications_new.html", **context)
        else:
            values = {name: kept.get(name, "") for name in FORM_FIELDS}
            response = _confirm_or_edit(
                call,
                values,
                "セッションの有効期限が切れる前の入力内容を復元しました。内容をご確認のうえ、送信してください。",
            )
        response.headers["Set-Cookie"] = _draft_cookie("", 0)
        return response
    values = _defaults(call)
    copy_of = query.get("copy")
    if copy_of:
        try:
            values = form_from_application(applications.get(call.principal, copy_of))
        except NotFound:
            return redirect("/netdesk/applications")
        context = {
            **_context(call, values, {}),
            "notice": "申込の内容を複製しました。必要な箇所を修正して申込確認へ進んでください。",
        }
        return call.render("html/netdesk/applications_new.html", **context)
    cited = query.get("reservation")
    prefilled = _prefill(call, values, cited) if cited else None
    return call.render("html/netdesk/applications_new.html", prefilled=prefilled, **_context(call, values, {}))


@page(bp, "/netdesk/applications/new", ("GET", "POST"), audience="netdesk", on_expired_post=keep_form_and_log_in)
def new_application(call: PageCall) -> Response:
    if call.request.method == "GET":
        return _new_form_get(call)
    values = {name: call.form.get(name, "") for name in FORM_FIELDS}
    step = call.form.get("step", "confirm")
    if step == "edit":
        return call.render("html/netdesk/applications_new.html", **_context(call, values, {}))
    if step.startswith("clear:"):
        return call.render("html/netdesk/applications_new.html", **_context(call, _cleared(call, values, step[6:]), {}))
    if step == "submit":
        try:
            key = call.form.get("idempotency_key") or None
            _status, answer = applications.submit(call.principal, body_from_form(values), key)
        except (ValidationFailed, Conflict) as exc:  # Conflict: the Idempotency-Key's; the form keeps what was typed
            errors = in_form_order(exc.errors, FORM_FIELDS)
            return call.render("html/netdesk/applications_new.html", status=400, **_context(call, values, errors))
        return redirect("/netdesk/applications/new?done=" + quote(answer["id"]))
    return _confirm_or_edit(call, values)


@page(bp, "/netdesk/applications", audience="netdesk")
def application_list(call: PageCall) -> Response:
    query = call.request.query_params or {}
    status = query.get("status") if query.get("status") in APPLICATION_STATUSES else None
    try:
        result = applications.list_mine(call.principal, status, 20, query.get("cursor") or None)
    except ValidationFailed:  # a stale or hand-made cursor: the first page
        result = applications.list_mine(call.principal, status, 20, None)
    names = {o["id"]: o["name"] for o in orderers.list_orderers()}
    return call.render(
        "html/netdesk/applications_list.html",
        items=result["items"],
        next_cursor=result["next_cursor"],
        status_filter=status,
        orderer_names=names,
    )


@page(bp, "/netdesk/applications/{application_id}", audience="netdesk")
def application_detail(call: PageCall) -> Response:
    """申込詳細: status, the reason of a 差戻し, 複製して新規作成, and the guarantees it produced."""
    detail = application_detail_service.detail(call.principal, call.params["application_id"])
    orderer = orderers.get_orderer(detail["application"]["project"]["orderer_id"] or "")
    return call.render(
        "html/netdesk/application_detail.html",
        a=detail["application"],
        guarantees=detail["guarantees"],
        orderer_name=orderer.name if orderer else detail["application"]["project"]["orderer_id"],
        branch=BRANCHES.get(detail["application"]["delivery"]["branch_id"]),
        payee=fee_statements.PAYEE,
    )


@page(bp, "/netdesk/orderers", audience="netdesk")
def e_surety_orderers(call: PageCall) -> Response:
    return call.render("html/netdesk/orderers.html", orderers=orderers.list_orderers(e_surety_only=True))
