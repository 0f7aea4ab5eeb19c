"""Local stage only: the outbox of sent mail, as JSON and as a page. 404 elsewhere."""

from __future__ import annotations

import datetime as dt

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.domain.errors import FieldError
from chalicelib.handlers.endpoint import Call, api
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page
from chalicelib.handlers.schemas import INTEGER, obj

daily = lazy("chalicelib.services.daily")
outbox = lazy("chalicelib.services.outbox")
reconcile = lazy("chalicelib.services.reconcile")

bp = Blueprint(__name__)

MAIL = {
    "type": "object",
    "properties": {
        "to": {"type": "array", "items": {"type": "string"}},
        "subject": {"type": "string"},
        "body": {"type": "string"},
    },
}


def _local_only() -> None:
    if not settings.current().is_local:
        raise ApiError(404)


@api(
    bp,
    "/api/dev/outbox",
    "GET",
    summary="(ローカル環境のみ) 送信済みメール",
    roles=None,
    responses={
        200: ("送信済みメール (古い順)", {"type": "object", "properties": {"items": {"type": "array", "items": MAIL}}}),
        404: ("ローカル以外", None),
    },
)
def outbox_json(call: Call) -> dict[str, object]:
    _local_only()
    return {"items": [{k: m[k] for k in ("to", "subject", "body")} for m in outbox.sent_mail()]}


@page(bp, "/dev/outbox", audience=None, public=True)
def outbox_page(call: PageCall) -> Response:
    _local_only()
    return call.render("html/dev/outbox.html", mails=outbox.sent_mail())


@api(
    bp,
    "/api/dev/reconcile",
    "POST",
    summary="(ローカル環境のみ) PDF の整合処理を今すぐ実行する (猶予なし)",
    roles=None,
    responses={
        200: ("結果", obj({"released": INTEGER, "deleted": INTEGER, "unknown": INTEGER})),
        404: ("ローカル以外", None),
    },
)
def reconcile_now(call: Call) -> dict[str, int]:
    """What the scheduled reconciler does, on demand and without its grace period (tests)."""
    _local_only()
    return vars(reconcile.run(grace_seconds=0))


@api(
    bp,
    "/api/dev/daily",
    "POST",
    summary="(ローカル環境のみ) 毎日の処理 (保証期限のお知らせ、期限が近い CRL の再発行) を今すぐ、指定日の処理として実行する",
    roles=None,
    body={
        "type": "object",
        "additionalProperties": False,
        "properties": {"date": {"type": "string", "format": "date", "description": "既定は今日 (日本時間)"}},
    },
    responses={200: ("送ったメールの数", obj({"reminders": INTEGER})), 404: ("ローカル以外", None)},
)
def daily_now(call: Call) -> dict[str, int]:
    _local_only()
    raw = (call.body or {}).get("date")
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        raise ApiError(400, [FieldError("date", "日付は YYYY-MM-DD で入力してください。")]) from None
    return {"reminders": daily.run(day)["reminders"]}  # API.md: the mails sent (the CRL re-issued when due)
