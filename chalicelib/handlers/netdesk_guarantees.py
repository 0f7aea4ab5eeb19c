"""Net Desk, the contractor's guarantees: 保証契約一覧, 電子保証概要, certificate, PDFs, 閲覧履歴.

JSON routes under /api/guarantees (API.md "Contractor") and the pages under
/netdesk/guarantees. Both call `services.guarantees`; a guarantee of another
organisation is the same 404 as a number that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from chalice import Blueprint, Response

from chalicelib.domain import labels, pagination
from chalicelib.domain.errors import ValidationFailed
from chalicelib.handlers import query as query_mod
from chalicelib.handlers.endpoint import Call, api, json_response
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page
from chalicelib.handlers.schemas import GUARANTEE_STATUSES, ref

applications_service = lazy("chalicelib.services.applications")
service = lazy("chalicelib.services.guarantees")
orderers = lazy("chalicelib.services.orderers")
reservations = lazy("chalicelib.services.reservations")

bp = Blueprint(__name__)
ROLES = ("contractor",)

KINDS = ["advance_payment", "contract_guarantee"]
FORMS = ["electronic", "paper"]
LIMIT = {"type": "integer", "minimum": 1, "maximum": pagination.MAX_LIMIT, "default": pagination.DEFAULT_LIMIT}
CURSOR = {"type": "string", "maxLength": 2048}
LIST_QUERY: dict[str, dict[str, Any]] = {
    "kind": {"type": "string", "enum": KINDS},
    "form": {"type": "string", "enum": FORMS},
    "issued_from": {"type": "string", "format": "date"},
    "issued_to": {"type": "string", "format": "date"},
    "project": {"type": "string", "maxLength": 100},
    "number": {"type": "string", "maxLength": 32},
    "limit": LIMIT,
    "cursor": CURSOR,
}

_S = {"type": "string"}
_NS = {"type": ["string", "null"]}
_I = {"type": ["integer", "null"]}
NOT_FOUND = ("見つからない、または自社の保証ではない", None)
LIST_ITEM = ref("GuaranteeListItem")
DETAIL = ref("Guarantee")
VIEW = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "orderer_id": _S,
        "result": {"type": "string", "enum": [*GUARANTEE_STATUSES, "not_found", "invalid", "locked"]},
    },
}


def _list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"items": {"type": "array", "items": item}, "next_cursor": _NS},
    }


#: 閲覧履歴: the named orderer's views, and failed attempts by anyone only counted (API.md).
VIEWS_OUT = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": VIEW},
        "next_cursor": _NS,
        "failed_attempts": {
            "type": "object",
            "properties": {"count": {"type": "integer"}, "last_at": {"type": ["string", "null"]}},
        },
    },
}


def _filters(q: dict[str, Any]) -> service.Filters:
    return service.Filters(
        kind=q.get("kind"),
        form=q.get("form"),
        issued_from=q.get("issued_from"),
        issued_to=q.get("issued_to"),
        project=q.get("project"),
        number=q.get("number"),
    )


def _redirect(url: str) -> Response:
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


# --- JSON API -----------------------------------------------------------------------------


@api(
    bp,
    "/api/guarantees",
    "GET",
    summary="保証契約一覧 (範囲検索・ピンポイント検索、新しい順)",
    roles=ROLES,
    query=LIST_QUERY,
    responses={200: ("保証契約一覧", _list_of(LIST_ITEM)), 400: ("検索条件の誤り", None)},
)
def list_guarantees(call: Call) -> dict[str, Any]:
    items, next_cursor = service.list_guarantees(
        call.principal, _filters(call.query), call.query["limit"], call.query.get("cursor")
    )
    return {"items": items, "next_cursor": next_cursor}


@api(
    bp,
    "/api/guarantees/{number}",
    "GET",
    summary="電子保証概要 (認証キーと電子保証履歴)",
    roles=ROLES,
    responses={200: ("電子保証概要", DETAIL), 404: NOT_FOUND},
)
def get_guarantee(call: Call) -> Response:
    return json_response(service.detail(call.principal, call.params["number"]), headers={"Cache-Control": "no-store"})


@api(
    bp,
    "/api/guarantees/{number}/certificate",
    "GET",
    summary="保証証書の内容 (version を省略すると最新)",
    roles=ROLES,
    query={"version": {"type": "integer", "minimum": 1, "maximum": 9999}},
    responses={200: ("発行時の保証証書の内容", ref("Certificate")), 404: NOT_FOUND},
)
def get_certificate(call: Call) -> dict[str, Any]:
    return service.certificate(call.principal, call.params["number"], call.query.get("version"))


@api(
    bp,
    "/api/guarantees/{number}/certificate.pdf",
    "GET",
    summary="保証証書 PDF (60秒有効の URL へ 302)",
    roles=ROLES,
    responses={302: ("PDF の短期 URL へ転送", None), 404: NOT_FOUND},
)
def certificate_pdf(call: Call) -> Response:
    return _redirect(service.certificate_pdf_url(call.principal, call.params["number"]))


@api(
    bp,
    "/api/guarantees/{number}/key-notice.pdf",
    "GET",
    summary="電子保証にかかる「認証キー」のお知らせ PDF (60秒有効の URL へ 302、電子保証のみ)",
    roles=ROLES,
    responses={302: ("PDF の短期 URL へ転送", None), 404: NOT_FOUND},
)
def key_notice_pdf(call: Call) -> Response:
    return _redirect(service.key_notice_pdf_url(call.principal, call.params["number"]))


@api(
    bp,
    "/api/guarantees/{number}/views",
    "GET",
    summary="閲覧履歴 (発注者による確認の記録、新しい順)",
    roles=ROLES,
    query={"limit": LIMIT, "cursor": CURSOR},
    responses={200: ("閲覧履歴", VIEWS_OUT), 400: ("cursor の誤り", None), 404: NOT_FOUND},
)
def list_views(call: Call) -> dict[str, Any]:
    return service.views_of(call.principal, call.params["number"], call.query["limit"], call.query.get("cursor"))


# --- Pages --------------------------------------------------------------------------------

PAGE_QUERY: dict[str, dict[str, Any]] = {
    "tab": {"type": "string", "enum": list(labels.LIST_TAB)},
    "kind": {"type": "string", "enum": KINDS},
    "issued_from": {"type": "string", "format": "date"},
    "issued_to": {"type": "string", "format": "date"},
    "project": {"type": "string", "maxLength": 100},
    "number": {"type": "string", "maxLength": 32},
    # issue 17: the 契約保証予約(入札ボンド) tab's own filter (with 工事名)
    "status": {"type": "string", "enum": ["submitted", "issued", "rejected", "used", "expired"]},
    "cursor": CURSOR,
    # The cursors of the pages before this one ("-" is the first page): honest 前へ links.
    "trail": {"type": "string", "maxLength": 60000},
}
PAGE_SIZE = pagination.DEFAULT_LIMIT
IN_PROGRESS_SHOWN = 10  # the 保証申込 tab's 手続中の申込 (all of them: 申込一覧)
FIRST = "-"


def _query(call: PageCall, spec: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[Any]]:
    try:
        return query_mod.parse_query(call.request.query_params or {}, spec), []
    except ApiError as exc:
        return {}, exc.errors


def _href(base: str, params: dict[str, Any]) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return base + ("?" + urlencode(clean) if clean else "")


def _in_progress(call: PageCall) -> list[dict[str, Any]]:
    """The 保証申込 tab's 手続中の申込 (submitted, not yet issued), each with its 発注者's name."""
    items = applications_service.list_mine(call.principal, "submitted", IN_PROGRESS_SHOWN)["items"]
    names = {o["id"]: o["name"] for o in orderers.list_orderers()} if items else {}
    return [{**a, "orderer_name": names.get(a["project"]["orderer_id"], a["project"]["orderer_id"])} for a in items]


@page(bp, "/netdesk/guarantees", audience="netdesk")
def guarantees_page(call: PageCall) -> Response:
    """保証契約一覧: tabs, 範囲検索, ピンポイント検索, one page of the table, 前へ/次へ."""
    q, errors = _query(call, PAGE_QUERY)
    tab = q.get("tab") or "application"
    search = {k: q.get(k) for k in ("kind", "issued_from", "issued_to", "project", "number")}
    if tab == "bond":  # issue 17: reservations have their own filters
        search = {"status": q.get("status"), "project": q.get("project")}
    trail = [t for t in (q.get("trail") or "").split(",") if t]
    items: list[dict[str, Any]] = []
    next_cursor = None
    total: int | None = None
    if not errors and tab != "bond":
        filters = _filters({**search, "form": "electronic" if tab == "electronic" else None})
        try:
            items, next_cursor = service.list_guarantees(call.principal, filters, PAGE_SIZE, q.get("cursor"))
            total = service.list_total(call.principal, filters)
        except ValidationFailed as exc:  # a filter or cursor, shown beside the search form
            errors = exc.errors
    elif not errors:
        try:
            listed = reservations.list_mine(
                call.principal, search["status"], search["project"], PAGE_SIZE, q.get("cursor")
            )
            items, next_cursor = listed["items"], listed["next_cursor"]
        except ValidationFailed as exc:
            errors = exc.errors
    base = {"tab": tab, **search}
    page_no = len(trail) + 1
    in_progress = _in_progress(call) if tab == "application" and page_no == 1 and not errors else []
    prev_href = None
    if trail:
        back = trail[-1]
        prev_href = _href(
            "/netdesk/guarantees", {**base, "cursor": "" if back == FIRST else back, "trail": ",".join(trail[:-1])}
        )
    next_href = None
    if next_cursor:
        here = q.get("cursor") or FIRST
        next_href = _href("/netdesk/guarantees", {**base, "cursor": next_cursor, "trail": ",".join([*trail, here])})
    return call.render(
        "html/netdesk/guarantees.html",
        status=400 if errors else 200,
        tabs=[
            (key, label, _href("/netdesk/guarantees", {**base, "tab": key})) for key, label in labels.LIST_TAB.items()
        ],
        tab=tab,
        search=search,
        errors=errors,
        in_progress=in_progress,
        items=items,
        first_index=(page_no - 1) * PAGE_SIZE + 1,
        total=total,
        pages=-(-total // PAGE_SIZE) if total else None,
        page_no=page_no,
        prev_href=prev_href,
        next_href=next_href,
        first_href=_href("/netdesk/guarantees", base) if page_no > 1 else None,
    )


#: The feedback of a write that redirects to 電子保証概要 (`?done=`).
DONE = {"delivered": "発注者へ提出しました。受領・差戻しは「発注者への提出」に表示されます。"}


@page(bp, "/netdesk/guarantees/{number}", audience="netdesk")
def guarantee_page(call: PageCall) -> Response:
    """電子保証概要: the table, the 認証キー, 印刷, 電子保証履歴 and 閲覧履歴. Never cached."""
    return overview_page(call, done=DONE.get((call.request.query_params or {}).get("done", "")))


def overview_page(call: PageCall, status: int = 200, errors: tuple[str, ...] = (), done: str | None = None) -> Response:
    """電子保証概要 of `call.params["number"]`, with a write's refusal (`errors`) or its feedback."""
    number = call.params["number"]
    overview = service.overview(call.principal, number)
    quoted = quote(overview["guarantee"]["number"], safe="")
    return call.render(
        "html/netdesk/guarantees_detail.html",
        status=status,
        errors=list(errors),
        done=done,
        no_store=True,
        g=overview["guarantee"],
        views=overview["views"],
        more_views=overview["more_views"],
        failed_attempts=overview["failed_attempts"],
        quoted=quoted,
        deliveries=overview["deliveries"],
        departments=overview["departments"],
    )


@page(bp, "/netdesk/guarantees/{number}/certificate", audience="netdesk")
def certificate_page(call: PageCall) -> Response:
    """The certificate of one version as the orderer sees it, printable."""
    q, errors = _query(call, {"version": {"type": "integer", "minimum": 1, "maximum": 9999}})
    if errors:
        raise ApiError(400, errors)
    number = call.params["number"]
    content = service.certificate(call.principal, number, q.get("version"))
    return call.render(
        "html/netdesk/guarantees_certificate.html",
        certificate=content,
        quoted=quote(content["number"], safe=""),
    )


@page(bp, "/netdesk/history", audience="netdesk")
def history_page(call: PageCall) -> Response:
    """電子保証履歴一覧: every electronic-certificate event of the organisation, newest first."""
    q, errors = _query(call, {"page": {"type": "integer", "minimum": 1, "maximum": 100000}})
    if errors:
        raise ApiError(400, errors)
    listed = service.history(call.principal, q.get("page") or 1, PAGE_SIZE)
    page_no, pages = listed["page"], listed["pages"]
    return call.render(
        "html/netdesk/history.html",
        **listed,
        prev_href=_href("/netdesk/history", {"page": page_no - 1}) if page_no > 1 else None,
        next_href=_href("/netdesk/history", {"page": page_no + 1}) if page_no < pages else None,
    )
