"""D-Sure (保証確認サービス): orderers verify guarantees — the JSON API and the pages."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import labels, validation, verify_csv
from chalicelib.domain.errors import Conflict, FieldError, NotFound, TooManyAttempts, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.handlers.endpoint import Call, api, content_type, parse_json
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page
from chalicelib.handlers.schemas import GUARANTEE_KINDS, GUARANTEE_STATUSES, LATEST_EVENTS, enum, ref

verify = lazy("chalicelib.services.verify")
bulk_service = lazy("chalicelib.services.verify_bulk")

bp = Blueprint(__name__)

ORDERER = ("orderer",)
RESULTS = [*GUARANTEE_STATUSES, "not_found", "invalid", "locked"]

VERIFY_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["number", "auth_key"],
    "properties": {
        "number": {"type": "string", "minLength": 1, "maxLength": 64},
        "auth_key": {"type": "string", "minLength": 1, "maxLength": 64},
    },
}
VERIFY_OUT = ref("Verification")
BULK_OUT = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["line", "number", "result"],
                "properties": {
                    "line": {"type": "integer"},
                    "number": {"type": "string"},
                    "result": {"type": "string", "enum": RESULTS},
                },
            },
        }
    },
}
INBOX_ITEM = {
    "type": "object",
    "properties": {
        "number": {"type": "string"},
        "kind": enum(GUARANTEE_KINDS),
        "status": enum(GUARANTEE_STATUSES),
        "project_name": {"type": "string"},
        "contractor_name": {"type": "string"},
        "latest_version": {"type": "integer"},
        "latest_version_kind": {"type": "string", "enum": ["new", "correction", "change", "cancellation"]},
        # issue 14: key_reissued when the key was reissued after the latest version, else that version's kind
        "latest_event": enum(LATEST_EVENTS),
        "changed_at": {"type": "string"},
        "verified_at": {"type": ["string", "null"]},
        "seen": {"type": "boolean"},
    },
}
INBOX_OUT = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": INBOX_ITEM}, "next_cursor": {"type": ["string", "null"]}},
}
PAGING_QUERY = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    "cursor": {"type": "string", "maxLength": 2048},
}
BULK_MAX_BYTES = 64 * 1024
BULK_JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "description": "確認する保証 (200 件まで)",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["number", "auth_key"],
                "properties": {"number": {"type": "string"}, "auth_key": {"type": "string"}},
            },
        }
    },
}
NOT_FOUND_ANSWER = ("保証契約番号または認証キーが正しくないか、確認できる保証がありません (どの場合も同じ応答)", None)
LOCKED_ANSWER = ("失敗が続いたためロック中 (Retry-After 秒後に再試行)", None)


@api(
    bp,
    "/api/verify",
    "POST",
    summary="電子保証の確認 (保証契約番号 + 認証キー)",
    roles=ORDERER,
    body=VERIFY_BODY,
    responses={200: ("最新の保証証書", VERIFY_OUT), 404: NOT_FOUND_ANSWER, 429: LOCKED_ANSWER},
)
def verify_one(call: Call) -> dict[str, Any]:
    return verify.verify(call.principal, call.body["number"], call.body["auth_key"])


@api(
    bp,
    "/api/verify/bulk",
    "POST",
    summary="一括確認 (text/csv: number,auth_key の行、200 行まで)",
    roles=ORDERER,
    content_types=("text/csv", "application/json"),
    raw_body=True,
    max_body=BULK_MAX_BYTES,
    request_bodies={
        "text/csv": {
            "type": "string",
            "format": "binary",  # bytes as they are (CP932 too): generators send a file's content
            "contentMediaType": "text/csv",
            "description": "number,auth_key の行 (UTF-8 または CP932、見出し行は任意)",
        },
        "application/json": BULK_JSON,
    },
    body_required=False,  # an empty body is the documented 400 (and openapi-python-client #1451)
    responses={
        200: ("行ごとの結果 (line: CSV の行番号、JSON では items の位置)", BULK_OUT),
        400: ("データ行・items がない、文字コードを判別できない、JSON の形式誤り", None),
        413: ("200 行・200 件を超えている", None),
        415: ("text/csv でも application/json でもない", None),
    },
)
def verify_bulk(call: Call) -> dict[str, Any]:
    if content_type(call.request) == "application/json":
        data = parse_json(call.body)
        errors = validation.validate(data, BULK_JSON)
        if errors:
            raise ApiError(400, errors)
        return {"items": _api_items(bulk_service.bulk_items(call.principal, data["items"]))}
    return {"items": _api_items(bulk_service.bulk(call.principal, call.body))}


def _api_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """API.md's bulk item: line, number, result (the page's 工事名 / 受注者 stay on the page)."""
    return [{k: item[k] for k in ("line", "number", "result")} for item in items]


@api(
    bp,
    "/api/orderer/guarantees",
    "GET",
    summary="確認済みの保証 (新しい変更順、未確認の訂正・変更・取消に印)",
    roles=ORDERER,
    query=PAGING_QUERY,
    responses={200: ("確認済みの保証", INBOX_OUT)},
)
def orderer_inbox(call: Call) -> dict[str, Any]:
    items, next_cursor = verify.inbox(call.principal, call.query["limit"], call.query.get("cursor"))
    return {"items": items, "next_cursor": next_cursor}


# --- pages -------------------------------------------------------------------


@page(bp, "/dsure/verify", ("GET", "POST"), audience="dsure")
def verify_page(call: PageCall) -> Response:
    """The 保証契約番号 + 認証キー form (the QR code on a PDF lands here with ?number=)."""
    if call.request.method == "GET":
        number = ((call.request.query_params or {}).get("number") or "")[: verify.MAX_INPUT]
        return call.render("html/dsure/verify.html", no_store=True, number=number, errors=[], result=None)
    number = call.form.get("number", "")[: verify.MAX_INPUT]
    key = call.form.get("auth_key", "")[: verify.MAX_INPUT]
    try:
        result = verify.verify(call.principal, number, key)
    except TooManyAttempts as exc:
        response = call.render(
            "html/dsure/verify.html",
            status=429,
            no_store=True,
            number=number,
            result=None,
            errors=[f"{exc.errors[0].message} (約{(exc.retry_after + 59) // 60}分後から再度確認できます)"],
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except NotFound as exc:
        return call.render(
            "html/dsure/verify.html",
            status=404,
            no_store=True,
            number=number,
            result=None,
            errors=[e.message for e in exc.errors]
            + _reissue_hint(call.principal, number)
            + _failure_hints(verify.attempts_left(call.principal, number)),
        )
    except (ValidationFailed, Conflict) as exc:  # Conflict: store contention past its retries, as before
        return call.render(
            "html/dsure/verify.html",
            status=400,
            no_store=True,
            number=number,
            result=None,
            errors=[e.message for e in exc.errors],
        )
    return call.render("html/dsure/verify.html", no_store=True, number=number, errors=[], result=result)


def _reissue_hint(principal: Principal, number: str) -> list[str]:
    """Issue 14: an orderer that verified this guarantee before is told its key was reissued since."""
    return [labels.KEY_REISSUED_HINT] if verify.key_reissued_since_last_look(principal, number) else []


def _failure_hints(left: verify.AttemptsLeft) -> list[str]:
    """What a person can do about a failure, the same for a wrong key and an unknown number."""
    hints = [
        "認証キーは大文字と小文字を区別します。「認証キーのお知らせ」のとおりに入力してください (前後の空白は無視します)。"
    ]
    if left.remaining:
        hints.append(f"あと{left.remaining}回失敗すると{left.lock_minutes}分間確認できなくなります。")
    else:
        hints.append(f"失敗が続いたため、この保証契約番号は{left.lock_minutes}分間確認できなくなりました。")
    return hints


@page(bp, "/dsure/inbox", audience="dsure")
def inbox_page(call: PageCall) -> Response:
    """確認済みの保証: newest change first, unseen 訂正/変更/取消 flagged."""
    query = call.request.query_params or {}
    try:
        items, next_cursor = verify.inbox(call.principal, 20, query.get("cursor"))
    except ValidationFailed as exc:  # a stale or hand-made cursor
        return call.render(
            "html/dsure/inbox.html", status=400, items=[], next_cursor=None, errors=[e.message for e in exc.errors]
        )
    return call.render("html/dsure/inbox.html", items=items, next_cursor=next_cursor, errors=[])


@page(bp, "/dsure/bulk", ("GET", "POST"), audience="dsure")
def bulk_page(call: PageCall) -> Response:
    """一括確認: a CSV file uploaded (UTF-8 or Shift_JIS, as the API takes it), or lines pasted."""
    if call.request.method == "GET":
        return call.render("html/dsure/bulk.html", no_store=True, csv_text="", items=None, errors=[])
    text = call.form.get("csv", "")
    upload = call.files.get("csv_file")
    try:
        items = bulk_service.bulk(call.principal, upload if upload else text.encode("utf-8"))
    except (ValidationFailed, verify.PayloadTooLarge, Conflict) as exc:  # Conflict: store contention, as before
        return call.render(
            "html/dsure/bulk.html",
            status=exc.status,
            no_store=True,
            csv_text=text,
            items=None,
            errors=[e.message for e in exc.errors],
        )
    return call.render("html/dsure/bulk.html", no_store=True, csv_text="", items=items, errors=[])


@page(bp, "/dsure/bulk/results.csv", ("POST",), audience="dsure")
def bulk_results_csv(call: PageCall) -> Response:
    """結果をCSVでダウンロード: the results just shown, written back (nothing verified again,
    so a download costs no attempts). Cells that a spreadsheet would run as formulas are neutralised."""
    lines, numbers, results = (call.form_lists.get(k, []) for k in ("line", "number", "result"))
    if not lines or not (len(lines) == len(numbers) == len(results)) or len(lines) > verify_csv.MAX_ROWS:
        raise ApiError(400, [FieldError("", "ダウンロードする確認結果がありません。もう一度一括確認してください。")])
    items = [
        {
            "line": line[:8],
            "number": number[: verify.MAX_INPUT],
            "result": result if result in labels.VERIFY_RESULT else "invalid",
        }
        for line, number, result in zip(lines, numbers, results, strict=True)
    ]
    return Response(
        body=verify_csv.results_csv(items, labels.VERIFY_RESULT),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="bulk-results.csv"',
            "Cache-Control": "no-store",
        },
    )
