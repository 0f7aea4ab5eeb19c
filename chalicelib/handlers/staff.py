"""The clerks (role staff): the JSON routes of API.md "Staff" and the /staff/ console pages.

Handlers parse, authorise, call one service and shape the answer; the flows
are in services/issuance.py, services/staff_applications.py and services/versions.py.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import labels, reasons, version_changes
from chalicelib.domain.approvals import STATUSES as APPROVAL_STATUSES
from chalicelib.domain.era import era_date
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.domain.status import APPLICATION_STATUSES, SEARCHABLE_GUARANTEE_STATUSES
from chalicelib.handlers import fee_forms
from chalicelib.handlers.confirm import Confirmation, confirmed
from chalicelib.handlers.endpoint import Call, api, created, json_response
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page, redirect
from chalicelib.handlers.schemas import COMPONENTS, ERRORS, STRING, enum, obj, paged, ref
from chalicelib.render import formatting

approvals = lazy("chalicelib.services.approvals")
fees = lazy("chalicelib.services.fees")
issuance = lazy("chalicelib.services.issuance")
staff_applications = lazy("chalicelib.services.staff_applications")
staff_search = lazy("chalicelib.services.staff_search")
versions = lazy("chalicelib.services.versions")

bp = Blueprint(__name__)

STAFF = ("staff",)
LIST_QUERY = {
    "status": {"type": "string", "enum": list(APPLICATION_STATUSES), "default": "submitted"},
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
        "kind": {"type": "string", "enum": list(version_changes.ALLOWED)},
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
    "status": {"type": "string", "enum": list(APPROVAL_STATUSES)},
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
    "name": {
        "type": "string",
        "maxLength": 100,
        "description": "受注者名・発注者名の一部 (全角・半角、大文字・小文字を区別しない)",
    },
    "status": {"type": "string", "enum": list(SEARCHABLE_GUARANTEE_STATUSES)},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "cursor": {"type": "string", "maxLength": 2048},
}


def _search(query: dict[str, Any]) -> staff_search.Search:
    return staff_search.Search(
        number=query.get("number") or None,
        contractor_id=query.get("contractor_id") or None,
        orderer_id=query.get("orderer_id") or None,
        status=query.get("status") or None,
        name=query.get("name") or None,
    )


@api(
    bp,
    "/api/staff/guarantees",
    "GET",
    summary="保証の検索 (自支店: 保証契約番号・受注者・発注者 (コードまたは名前)・状態)",
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
    if status not in APPLICATION_STATUSES:
        status = "submitted"
    try:
        items, cursor = staff_applications.queue(call.principal, status, DEFAULT_LIMIT, params.get("cursor"))
    except ValidationFailed:
        items, cursor = staff_applications.queue(call.principal, status, DEFAULT_LIMIT, None)
    return call.render("html/staff/applications.html", items=items, list_status=status, next_cursor=cursor)


def _application_page(call: PageCall, errors: list[FieldError] | None = None, status: int = 200) -> Response:
    review = staff_applications.review(call.principal, call.params["application_id"])
    return call.render(
        "html/staff/application.html",
        status=status,
        application=review["application"],
        review=review,
        errors=errors or [],
        done=_done(call),
    )


@page(bp, "/staff", audience="staff")
def top_page(call: PageCall) -> Response:
    """The console's top: the queues and the search of guarantees."""
    return call.render(
        "html/staff/top.html", **staff_applications.dashboard(call.principal), statuses=SEARCHABLE_GUARANTEE_STATUSES
    )


@page(bp, "/staff/guarantees", audience="staff")
def search_page(call: PageCall) -> Response:
    """The search of guarantees (number as typed, contractor, orderer, status) as a page."""
    q = {k: (v or "").strip()[:64] for k, v in (call.request.query_params or {}).items()}
    wanted = _search(q if q.get("status") in SEARCHABLE_GUARANTEE_STATUSES else {**q, "status": None})
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
        statuses=SEARCHABLE_GUARANTEE_STATUSES,
    )


@page(bp, "/staff/applications/{application_id}", audience="staff")
def application_page(call: PageCall) -> Response:
    return _application_page(call)


def _application_errors(call: PageCall, errors: list[FieldError], status: int) -> Response:
    return _application_page(call, errors, status=status)


def _application_facts(call: PageCall) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """The application a confirmation is about, and who, what and how much, as rows."""
    review = staff_applications.review(call.principal, call.params["application_id"])
    a = review["application"]
    if a["status"] != "submitted":
        raise Conflict([staff_applications.ALREADY_DONE])
    wanted = [
        f"{labels.GUARANTEE_KIND[k]} {formatting.yen(a[k]['amount'])} ({labels.FORM_SHORT.get(a[k]['form'], '')})"
        for k in ("advance_payment", "contract_guarantee")
        if a.get(k)
    ]
    rows = [
        ("申込番号", formatting.application_number(a["id"])),
        ("受注者", review["applicant_name"]),
        ("発注者", review["orderer_name"] or a["project"]["orderer_id"]),
        ("工事名", a["project"]["name"]),
        ("保証", "・".join(wanted)),
        ("保証料", f"{formatting.yen(a['fees']['total'])} ({labels.fee_state(a['fees'])})"),
    ]
    return review, rows


def _issue_facts(call: PageCall, _values: dict[str, str]) -> list[tuple[str, ...]]:
    review, rows = _application_facts(call)
    fee = review["application"]["fees"]
    if not (fee["paid_on"] or fee["waived"]):
        raise Conflict([fees.UNPAID])
    if review["checks"]:
        raise ValidationFailed(review["checks"])
    return rows


ISSUE = Confirmation(
    title="保証を発行します",
    button="発行する",
    consequence=labels.CONSEQUENCE["issue"],
    back="/staff/applications/{application_id}",
)


@confirmed(bp, "/staff/applications/{application_id}/issue", ISSUE, facts=_issue_facts, on_error=_application_errors)
def issue_page(call: PageCall, _values: dict[str, str]) -> str:
    """発行, confirmed: the result is a GET page, so a reload shows it again and issues nothing."""
    issuance.issue(call.principal, call.params["application_id"])
    return f"/staff/applications/{call.params['application_id']}/issued"


@page(bp, "/staff/applications/{application_id}/issued", audience="staff")
def issued_page(call: PageCall) -> Response:
    issued = staff_applications.issued_result(call.principal, call.params["application_id"])
    return call.render(
        "html/staff/issued.html", no_store=True, issued=issued, application_id=call.params["application_id"]
    )


def _reject_facts(call: PageCall, values: dict[str, str]) -> list[tuple[str, ...]]:
    reason = reasons.required(values["reason"], what="差戻し")
    return [*_application_facts(call)[1], ("差戻しの理由", reason)]


REJECT = Confirmation(
    title="申込を差戻します",
    button="差戻す",
    consequence=labels.CONSEQUENCE["reject"],
    back="/staff/applications/{application_id}",
    fields=("reason",),
)


@confirmed(bp, "/staff/applications/{application_id}/reject", REJECT, facts=_reject_facts, on_error=_application_errors)
def reject_page(call: PageCall, values: dict[str, str]) -> str:
    issuance.reject(call.principal, call.params["application_id"], values["reason"])
    return f"/staff/applications/{call.params['application_id']}?done=reject"


def _application_fee_facts(call: PageCall, values: dict[str, str]) -> list[tuple[str, ...]]:
    settled = fee_forms.settle_facts(call, "application", call.params["application_id"], values)
    return [*_application_facts(call)[1], *settled]


def _application_fee_step(call: PageCall) -> Confirmation:
    return fee_forms.fee_step(call).at("/staff/applications/{application_id}")


@confirmed(
    bp,
    "/staff/applications/{application_id}/fee/{how}",
    _application_fee_step,
    facts=_application_fee_facts,
    on_error=_application_errors,
)
def application_fee_page(call: PageCall, values: dict[str, str]) -> str:
    """保証料: the payment (amount, 入金日) or waiver (reason required), confirmed."""
    fee_forms.settle(call, "application", call.params["application_id"], values)
    return f"/staff/applications/{call.params['application_id']}?done={call.params['how']}"


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
        done=_done(call),
    )


@page(bp, "/staff/guarantees/{number}", audience="staff")
def guarantee_page(call: PageCall) -> Response:
    return _guarantee_page(call)


def _form_changes(form: dict[str, str]) -> tuple[str, dict[str, Any], str | None, list[FieldError]]:
    """(kind, changes, reason, errors) of the version form, every error at once: the kind against
    the service's table, the fields by domain/version_changes.py, the reason by domain/reasons.py."""
    kind = form.get("kind", "")
    errors = [] if kind in version_changes.ALLOWED else [FieldError("kind", "手続の種類を選んでください。")]
    changes, field_errors = version_changes.from_form(form)
    errors += field_errors
    reason = form.get("reason")
    try:
        reason = reasons.required(reason)
    except ValidationFailed as exc:
        errors += exc.errors
    return kind, changes, reason, errors


def _guarantee_errors(call: PageCall, errors: list[FieldError], status: int) -> Response:
    return _guarantee_page(call, errors, status=status, form=call.form)


def _version_facts(call: PageCall, values: dict[str, str]) -> list[tuple[str, ...]]:
    """Before → after of a 訂正/変更 (or the guarantee a 取消 is asked for), checked as the write checks."""
    kind, changes, reason, errors = _form_changes(values)
    if errors:
        raise ValidationFailed(errors)
    summary = versions.preview(call.principal, call.params["number"], kind, changes)
    rows: list[tuple[str, ...]] = [("保証契約番号", summary["number"]), ("手続", labels.VERSION_KIND[kind])]
    for r in summary["rows"]:
        label = labels.STAFF_FIELD.get("changes." + r["field"], r["field"])
        rows.append((label, *(_shown(r["field"], r[side]) for side in ("before", "after"))))
    return [*rows, ("理由", reason or "")]


def _shown(field: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    if field in ("guarantee_amount", "contract_amount"):
        return formatting.yen(value)
    if field == "period_end":
        return era_date(value) + " (保証期限も同じ日に変わります)"
    return str(value)


def _version_step(call: PageCall) -> Confirmation:
    kind = call.form.get("kind") or ""
    return Confirmation(
        title=f"保証の{labels.VERSION_KIND.get(kind, '手続')}を記録します",
        button="確定する",
        consequence=labels.CONSEQUENCE.get(kind, labels.CONSEQUENCE["change"]),
        back="/staff/guarantees/{number}",
        fields=VERSION_FIELDS,
    )


VERSION_FIELDS = ("kind", "project_name", "guarantee_amount", "contract_amount", "period_end", "reason")


@confirmed(bp, "/staff/guarantees/{number}/versions", _version_step, facts=_version_facts, on_error=_guarantee_errors)
def version_page(call: PageCall, values: dict[str, str]) -> str:
    """訂正/変更 written, or 取消 asked for (it then waits for 決裁)."""
    kind, changes, reason, _errors = _form_changes(values)
    approvals.version_or_request(call.principal, call.params["number"], kind, changes, reason)
    return f"/staff/guarantees/{call.params['number']}?done={kind}"


def _reissue_facts(call: PageCall, values: dict[str, str]) -> list[tuple[str, ...]]:
    reason = reasons.required(values["reason"])
    g = approvals.check_request(call.principal, call.params["number"], "reissue_key")
    return [
        ("保証契約番号", g["number"]),
        ("工事名", g["project_name"]),
        ("受注者", g["contractor_name"]),
        ("理由", reason),
    ]


REISSUE = Confirmation(
    title="認証キーの再発行を依頼します",
    button="依頼する",
    consequence="別の職員の決裁を経て実行されます。" + labels.APPROVAL_CONSEQUENCE["reissue_key"],
    back="/staff/guarantees/{number}",
    fields=("reason",),
)


@confirmed(bp, "/staff/guarantees/{number}/reissue-key", REISSUE, facts=_reissue_facts, on_error=_guarantee_errors)
def reissue_page(call: PageCall, values: dict[str, str]) -> str:
    """The 決裁 request; the key comes with the approval."""
    approvals.request(call.principal, call.params["number"], "reissue_key", values["reason"])
    return f"/staff/guarantees/{call.params['number']}?done=reissue_requested"


def _approvals_page(call: PageCall, errors: list[FieldError] | None = None, status: int = 200) -> Response:
    items, _ = approvals.queue(call.principal, MAX_LIMIT)
    return call.render("html/staff/approvals.html", status=status, items=items, errors=errors or [], done=_done(call))


def _approvals_errors(call: PageCall, errors: list[FieldError], status: int) -> Response:
    return _approvals_page(call, errors, status=status)


@page(bp, "/staff/approvals", audience="staff")
def approvals_page(call: PageCall) -> Response:
    return _approvals_page(call)


def _approval_facts(call: PageCall, values: dict[str, str]) -> list[tuple[str, ...]]:
    """The request a 承認 or 否認 is about (pending, and for 承認 not the approver's own)."""
    declining = "reason" in values
    a = approvals.check_decidable(call.principal, call.params["approval_id"], approving=not declining)
    rows: list[tuple[str, ...]] = [
        ("保証契約番号", a["number"]),
        ("工事名", a["project_name"]),
        ("受注者", a["contractor_name"]),
        ("手続", labels.APPROVAL_ACTION[a["action"]]),
        ("依頼者", a["requested_by"]),
        ("依頼の理由", a["reason"]),
    ]
    if declining:
        return [*rows, ("否認の理由", reasons.required(values["reason"], what="否認"))]
    return [*rows, ("実行されること", labels.APPROVAL_CONSEQUENCE[a["action"]])]


APPROVE = Confirmation(
    title="決裁を承認します",
    button="承認して実行する",
    consequence=labels.CONSEQUENCE["approve"],
    back="/staff/approvals",
)
DECLINE = Confirmation(
    title="決裁を否認します",
    button="否認する",
    consequence=labels.CONSEQUENCE["decline"],
    back="/staff/approvals",
    fields=("reason",),
)


@confirmed(bp, "/staff/approvals/{approval_id}/approve", APPROVE, facts=_approval_facts, on_error=_approvals_errors)
def approve_page(call: PageCall, _values: dict[str, str]) -> str:
    """承認: the action runs; its result (the version, or the new key) is a GET page."""
    approvals.approve(call.principal, call.params["approval_id"])
    return f"/staff/approvals/{call.params['approval_id']}/done"


@page(bp, "/staff/approvals/{approval_id}/done", audience="staff")
def approved_page(call: PageCall) -> Response:
    result = approvals.outcome(call.principal, call.params["approval_id"])
    if result is None:  # not approved (yet): the queue
        return redirect("/staff/approvals")
    return call.render("html/staff/approved.html", no_store=True, result=result)


@page(bp, "/staff/guarantees/{number}/key-notice.pdf", audience="staff")
def key_notice_page(call: PageCall) -> Response:
    """The guarantee's current key notice (a 60-second URL): the approver of a reissue hands it over."""
    url = staff_search.key_notice_pdf_url(call.principal, call.params["number"])
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@confirmed(bp, "/staff/approvals/{approval_id}/decline", DECLINE, facts=_approval_facts, on_error=_approvals_errors)
def decline_page(call: PageCall, values: dict[str, str]) -> str:
    approvals.decline(call.principal, call.params["approval_id"], values["reason"])
    return "/staff/approvals?done=decline"


def _done(call: PageCall) -> str | None:
    """The feedback after a confirmed write (its result page's ?done=…), from domain/labels.py."""
    return labels.DONE.get((call.request.query_params or {}).get("done") or "")
