"""The clerks (role staff): the JSON routes of API.md "Staff" and the /staff/ console pages.

Handlers parse, authorise, call one service and shape the answer; the flows
are in services/issuance.py, services/staff_applications.py and services/versions.py.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import reasons, version_changes
from chalicelib.domain.errors import Conflict, FieldError, Forbidden, ValidationFailed
from chalicelib.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.handlers.endpoint import Call, api, created, json_response
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.page import PageCall, page, redirect
from chalicelib.handlers.schemas import COMPONENTS, ERRORS, STRING, enum, obj, paged, ref
from chalicelib.services import approvals, console, issuance, staff_applications, staff_search, versions

bp = Blueprint(__name__)

STAFF = ("staff",)
LIST_QUERY = {
    "status": {"type": "string", "enum": list(staff_applications.STATUSES), "default": "submitted"},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "cursor": {"type": "string", "maxLength": 2048},
}
ISSUED_OUT = {
    "type": "object",
    "properties": {
        "guarantees": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "number": {"type": "string"},
                    "kind": {"type": "string", "enum": ["advance_payment", "contract_guarantee"]},
                    "form": {"type": "string", "enum": ["electronic", "paper"]},
                    "auth_key": {"type": ["string", "null"]},
                },
            },
        }
    },
}
REJECT_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": reasons.SCHEMA},
}
#: reissue-key takes only the reason (API.md: non-empty, ≤ 200 characters).
REISSUE_BODY = REJECT_BODY
VERSION_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind"],
    "properties": {
        "kind": {"type": "string", "enum": list(versions.ALLOWED)},
        "changes": version_changes.SCHEMA,
        "reason": reasons.SCHEMA,
    },
}
APPROVAL_REQUESTED = {
    "type": "object",
    "properties": {
        "approval_id": {"type": "string"},
        "status": {"type": "string", "enum": ["pending"]},
        "action": {"type": "string", "enum": ["cancellation", "reissue_key"]},
        "number": {"type": "string"},
    },
}
VERSION_OUT = ref("Version")
APPROVED = obj(
    {
        **COMPONENTS["Version"]["properties"],
        "auth_key": {"type": "string", "description": "認証キーの再発行のとき"},
        "number": STRING,
        "action": enum(("cancellation", "reissue_key")),
    },
    ["number", "action"],
)


# ---------------------------------------------------------------- JSON API


@api(
    bp,
    "/api/staff/applications",
    "GET",
    summary="申込一覧 (支店の審査待ちなど、状態別)",
    roles=STAFF,
    query=LIST_QUERY,
    responses={200: ("申込の一覧", paged(ref("Application"))), 400: ("条件の誤り", ERRORS)},
)
def list_applications(call: Call) -> dict:
    items, cursor = staff_applications.list_applications(
        call.principal, call.query["status"], call.query["limit"], call.query.get("cursor")
    )
    return {"items": items, "next_cursor": cursor}


@api(
    bp,
    "/api/staff/applications/{application_id}/issue",
    "POST",
    summary="申込を発行する (保証契約番号・認証キー・保証証書)",
    roles=STAFF,
    responses={
        201: ("発行した保証", ISSUED_OUT),
        400: ("規則違反", ERRORS),
        404: ("なし", ERRORS),
        409: ("処理済み", ERRORS),
    },
)
def issue_application(call: Call) -> Response:
    issued = issuance.issue(call.principal, call.params["application_id"])
    location = f"/api/staff/guarantees/{issued[0]['number']}"
    return created({"guarantees": issued}, location, headers={"Cache-Control": "no-store"})


@api(
    bp,
    "/api/staff/applications/{application_id}/reject",
    "POST",
    summary="申込を却下する",
    roles=STAFF,
    body=REJECT_BODY,
    responses={
        200: ("却下した申込", ref("Application")),
        400: ("理由の誤り", ERRORS),
        404: ("なし", ERRORS),
        409: ("処理済み", ERRORS),
    },
)
def reject_application(call: Call) -> dict:
    return issuance.reject(call.principal, call.params["application_id"], call.body["reason"])


@api(
    bp,
    "/api/staff/guarantees/{number}/versions",
    "POST",
    summary="訂正・変更・取消を新しい版として記録する",
    roles=STAFF,
    body=VERSION_BODY,
    responses={
        201: ("記録した版 (訂正・変更)", VERSION_OUT),
        202: ("取消の決裁依頼 (承認待ち)", APPROVAL_REQUESTED),
        400: ("規則違反", ERRORS),
        404: ("なし", ERRORS),
        409: ("取消済み", ERRORS),
    },
)
def record_version(call: Call) -> Response:
    """A correction or change → 201 with the version; a cancellation → 202, waiting for 決裁."""
    b = call.body
    status, out = approvals.version_or_request(
        call.principal, call.params["number"], b["kind"], version_changes.checked(b.get("changes")), b.get("reason")
    )
    if status == 201:
        return created(out, f"/api/staff/guarantees/{call.params['number']}")
    return json_response(out, status=status)


@api(
    bp,
    "/api/staff/guarantees/{number}/reissue-key",
    "POST",
    summary="認証キーを再発行する (旧キーは即時に無効)",
    roles=STAFF,
    body=REISSUE_BODY,
    responses={
        202: ("再発行の決裁依頼 (承認待ち)", APPROVAL_REQUESTED),
        400: ("理由の誤り", ERRORS),
        404: ("なし", ERRORS),
        409: ("紙・取消済み", ERRORS),
    },
)
def reissue_key(call: Call) -> Response:
    """Asks for the reissue (202); the new key comes with the approval."""
    out = approvals.request(call.principal, call.params["number"], "reissue_key", call.body.get("reason"))
    return json_response(out, status=202)


APPROVAL_QUERY = {
    "status": {"type": "string", "enum": list(approvals.STATUSES)},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "cursor": {"type": "string", "maxLength": 2048},
}


@api(
    bp,
    "/api/staff/approvals",
    "GET",
    summary="決裁の一覧 (自支店、新しい順)",
    roles=STAFF,
    query=APPROVAL_QUERY,
    responses={200: ("決裁の一覧", paged(ref("Approval"))), 400: ("条件の誤り", ERRORS)},
)
def list_approvals(call: Call) -> dict:
    q = call.query
    items, cursor = approvals.list_approvals(
        call.principal, q.get("status"), q.get("limit", DEFAULT_LIMIT), q.get("cursor")
    )
    return {"items": items, "next_cursor": cursor}


@api(
    bp,
    "/api/staff/approvals/{approval_id}/approve",
    "POST",
    summary="決裁を承認する (依頼者以外の同じ支店の職員)。取消の版、または新しい認証キーを返す",
    roles=STAFF,
    responses={
        201: ("実行した手続: 取消の版、または新しい認証キー", APPROVED),
        403: ("自分の依頼", ERRORS),
        404: ("なし", ERRORS),
        409: ("処理済み", ERRORS),
    },
)
def approve(call: Call) -> Response:
    out = approvals.approve(call.principal, call.params["approval_id"])
    return created(out, f"/api/staff/guarantees/{out['number']}", headers={"Cache-Control": "no-store"})


@api(
    bp,
    "/api/staff/approvals/{approval_id}/decline",
    "POST",
    summary="決裁を否認する (理由が必要)",
    roles=STAFF,
    body=REJECT_BODY,
    responses={
        200: ("否認した決裁", ref("Approval")),
        400: ("理由の誤り", ERRORS),
        404: ("なし", ERRORS),
        409: ("処理済み", ERRORS),
    },
)
def decline(call: Call) -> dict:
    return approvals.decline(call.principal, call.params["approval_id"], call.body.get("reason"))


SEARCH_QUERY = {
    "number": {"type": "string", "maxLength": 40},
    "contractor_id": {"type": "string", "maxLength": 64},
    "orderer_id": {"type": "string", "maxLength": 16},
    "status": {"type": "string", "enum": list(staff_search.STATUSES)},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "cursor": {"type": "string", "maxLength": 2048},
}


def _search(query: dict[str, Any]) -> staff_search.Search:
    return staff_search.Search(
        number=query.get("number") or None,
        contractor_id=query.get("contractor_id") or None,
        orderer_id=query.get("orderer_id") or None,
        status=query.get("status") or None,
    )


@api(
    bp,
    "/api/staff/guarantees",
    "GET",
    summary="保証の検索 (自支店: 保証契約番号・受注者・発注者・状態)",
    roles=STAFF,
    query=SEARCH_QUERY,
    responses={200: ("保証の一覧 (新しい順)", paged(ref("GuaranteeListItem"))), 400: ("条件の誤り", ERRORS)},
)
def search_guarantees(call: Call) -> dict:
    q = call.query
    items, cursor = staff_search.search(call.principal, _search(q), q.get("limit", DEFAULT_LIMIT), q.get("cursor"))
    return {"items": items, "next_cursor": cursor}


@api(
    bp,
    "/api/staff/guarantees/{number}",
    "GET",
    summary="電子保証概要 (職員用: contractor_id を含む)",
    roles=STAFF,
    responses={200: ("電子保証概要", ref("Guarantee")), 404: ("なし", ERRORS)},
)
def staff_guarantee(call: Call) -> Response:
    return json_response(
        staff_search.detail(call.principal, call.params["number"]), headers={"Cache-Control": "no-store"}
    )


# ---------------------------------------------------------------- pages


@page(bp, "/staff/applications", audience="staff")
def applications_page(call: PageCall) -> Response:
    params = call.request.query_params or {}
    status = params.get("status") or "submitted"
    if status not in staff_applications.STATUSES:
        status = "submitted"
    try:
        items, cursor = staff_applications.list_applications(
            call.principal, status, DEFAULT_LIMIT, params.get("cursor")
        )
    except ValidationFailed:
        items, cursor = staff_applications.list_applications(call.principal, status, DEFAULT_LIMIT, None)
    return call.render("html/staff/applications.html", items=items, list_status=status, next_cursor=cursor)


def _application_page(call: PageCall, errors: list[FieldError] | None = None, status: int = 200) -> Response:
    review = staff_applications.review(call.principal, call.params["application_id"])
    return call.render(
        "html/staff/application.html",
        status=status,
        application=review["application"],
        review=review,
        errors=errors or [],
    )


@page(bp, "/staff", audience="staff")
def top_page(call: PageCall) -> Response:
    """The console's top: the queues and the search of guarantees."""
    return call.render(
        "html/staff/top.html", **staff_applications.dashboard(call.principal), statuses=staff_search.STATUSES
    )


@page(bp, "/staff/guarantees", audience="staff")
def search_page(call: PageCall) -> Response:
    """The search of guarantees (number as typed, contractor, orderer, status) as a page."""
    q = {k: (v or "").strip()[:64] for k, v in (call.request.query_params or {}).items()}
    wanted = _search(q if q.get("status") in staff_search.STATUSES else {**q, "status": None})
    errors: list[FieldError] = []
    items: list[dict] = []
    cursor = None
    try:
        items, cursor = staff_search.search(call.principal, wanted, DEFAULT_LIMIT, q.get("cursor") or None)
    except ValidationFailed as exc:
        errors = exc.errors
    return call.render(
        "html/staff/search.html",
        status=400 if errors else 200,
        items=items,
        next_cursor=cursor,
        query=q,
        errors=errors,
        statuses=staff_search.STATUSES,
    )


@page(bp, "/staff/applications/{application_id}", audience="staff")
def application_page(call: PageCall) -> Response:
    return _application_page(call)


@page(bp, "/staff/applications/{application_id}/issue", ("POST",), audience="staff")
def issue_page(call: PageCall) -> Response:
    """Post/Redirect/Get: the result is a GET page, so a reload shows it again and issues nothing;
    a repeated post (double submit) finds the application issued and goes to the same page."""
    application_id = call.params["application_id"]
    try:
        issuance.issue(call.principal, application_id)
    except Conflict as exc:
        if staff_applications.get_application(call.principal, application_id)["status"] == "issued":
            return redirect(f"/staff/applications/{application_id}/issued")
        return _application_page(call, exc.errors, status=exc.status)
    except ValidationFailed as exc:  # a rule the application breaks, shown on its page
        return _application_page(call, exc.errors, status=exc.status)
    return redirect(f"/staff/applications/{application_id}/issued")


@page(bp, "/staff/applications/{application_id}/issued", audience="staff")
def issued_page(call: PageCall) -> Response:
    issued = staff_applications.issued_result(call.principal, call.params["application_id"])
    return call.render(
        "html/staff/issued.html", no_store=True, issued=issued, application_id=call.params["application_id"]
    )


@page(bp, "/staff/applications/{application_id}/reject", ("POST",), audience="staff")
def reject_page(call: PageCall) -> Response:
    try:
        issuance.reject(call.principal, call.params["application_id"], call.form.get("reason"))
    except (ValidationFailed, Conflict) as exc:
        return _application_page(call, exc.errors, status=exc.status)
    return redirect(f"/staff/applications/{call.params['application_id']}")


@page(bp, "/staff/applications/{application_id}/fee/{how}", ("POST",), audience="staff")
def application_fee_page(call: PageCall) -> Response:
    """保証料: the payment (amount, 入金日) or waiver (reason required) form of the application page."""
    from chalicelib.handlers.staff_reservation_pages import settle_from_form

    if call.params["how"] not in ("payment", "waiver"):
        raise ApiError(404)
    try:
        settle_from_form(call, "application", call.params["application_id"], call.params["how"])
    except (ValidationFailed, Conflict) as exc:
        return _application_page(call, exc.errors, status=exc.status)
    return redirect(f"/staff/applications/{call.params['application_id']}")


def _guarantee_page(
    call: PageCall,
    errors: list[FieldError] | None = None,
    status: int = 200,
    new_key: str | None = None,
    form: dict | None = None,
) -> Response:
    view = versions.guarantee_detail(call.principal, call.params["number"])
    return call.render(
        "html/staff/guarantee.html",
        status=status,
        no_store=True,  # shows the 認証キー
        guarantee=view,
        pending=approvals.pending_for(call.principal, view["number"]),
        errors=errors or [],
        new_key=new_key,
        form=form or {},
    )


@page(bp, "/staff/guarantees/{number}", audience="staff")
def guarantee_page(call: PageCall) -> Response:
    return _guarantee_page(call)


def _form_changes(form: dict[str, str]) -> tuple[str, dict[str, Any], str | None, list[FieldError]]:
    """(kind, changes, reason, errors) of the version form, every error at once: the kind against
    the service's table, the fields by domain/version_changes.py, the reason by domain/reasons.py."""
    kind = form.get("kind", "")
    errors = [] if kind in versions.ALLOWED else [FieldError("kind", "手続の種類を選んでください。")]
    changes, field_errors = version_changes.from_form(form)
    errors += field_errors
    reason = form.get("reason")
    try:
        reason = reasons.required(reason)
    except ValidationFailed as exc:
        errors += exc.errors
    return kind, changes, reason, errors


def _confirm_page(call: PageCall, action: str, fields: dict[str, Any], summary: dict[str, Any]) -> Response:
    """The confirmation step: exactly what will change, and a one-time token for the real post."""
    return call.render(
        "html/staff/confirm.html",
        no_store=True,
        action=action,
        fields=fields,
        summary=summary,
        form_token=console.new_token(),
    )


@page(bp, "/staff/guarantees/{number}/versions", ("POST",), audience="staff")
def version_page(call: PageCall) -> Response:
    """Two posts: the first checks and shows before → after; the confirmed one (with its token) writes once."""
    number = call.params["number"]
    kind, changes, reason, errors = _form_changes(call.form)
    if errors:
        return _guarantee_page(call, errors, status=400, form=call.form)
    token = call.form.get("form_token") or ""
    try:
        if call.form.get("confirmed") != "1" or not token:
            summary = versions.preview(call.principal, number, kind, changes)
            fields = {
                k: call.form.get(k) or ""
                for k in ("kind", "project_name", "guarantee_amount", "contract_amount", "period_end")
            }
            return _confirm_page(call, f"/staff/guarantees/{number}/versions", {**fields, "reason": reason}, summary)
        console.confirmed_version(call.principal, token, number, kind, changes, reason)
    except (ValidationFailed, Conflict) as exc:
        return _guarantee_page(call, exc.errors, status=exc.status, form=call.form)
    return redirect(f"/staff/guarantees/{number}")  # a cancellation now waits for 決裁


@page(bp, "/staff/guarantees/{number}/reissue-key", ("POST",), audience="staff")
def reissue_page(call: PageCall) -> Response:
    """Two posts as for versions: the confirmation names the number and what a new key breaks."""
    number = call.params["number"]
    token = call.form.get("form_token") or ""
    try:
        reason = reasons.required(call.form.get("reason"))
        if call.form.get("confirmed") != "1" or not token:
            view = versions.guarantee_detail(call.principal, number)
            summary = {"number": view["number"], "kind": "reissue_key", "rows": [], "electronic": True}
            return _confirm_page(call, f"/staff/guarantees/{number}/reissue-key", {"reason": reason}, summary)
        console.confirmed_request(call.principal, token, number, "reissue_key", reason)
    except (ValidationFailed, Conflict) as exc:
        return _guarantee_page(call, exc.errors, status=exc.status)
    return redirect(f"/staff/guarantees/{number}")  # the key comes with the approval


def _approvals_page(call: PageCall, errors: list[FieldError] | None = None, status: int = 200) -> Response:
    items, _ = approvals.list_approvals(call.principal, "pending", MAX_LIMIT, None)
    return call.render("html/staff/approvals.html", status=status, items=items, errors=errors or [])


@page(bp, "/staff/approvals", audience="staff")
def approvals_page(call: PageCall) -> Response:
    return _approvals_page(call)


@page(bp, "/staff/approvals/{approval_id}/approve", ("POST",), audience="staff")
def approve_page(call: PageCall) -> Response:
    """Approve: the result (a new key, shown this once) is not stored for the page — a reload
    posts again and is refused (409), so it never repeats the action."""
    try:
        out = approvals.approve(call.principal, call.params["approval_id"])
    except (ValidationFailed, Forbidden, Conflict) as exc:  # Forbidden: the approver's own request
        return _approvals_page(call, exc.errors, status=exc.status)
    return call.render("html/staff/approved.html", no_store=True, result=out)


@page(bp, "/staff/guarantees/{number}/key-notice.pdf", audience="staff")
def key_notice_page(call: PageCall) -> Response:
    """The guarantee's current key notice (a 60-second URL): the approver of a reissue hands it over."""
    url = staff_search.key_notice_pdf_url(call.principal, call.params["number"])
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@page(bp, "/staff/approvals/{approval_id}/decline", ("POST",), audience="staff")
def decline_page(call: PageCall) -> Response:
    try:
        approvals.decline(call.principal, call.params["approval_id"], call.form.get("reason"))
    except (ValidationFailed, Conflict) as exc:
        return _approvals_page(call, exc.errors, status=exc.status)
    return redirect("/staff/approvals")
