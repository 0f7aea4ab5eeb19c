"""Webhooks (API.md "Webhooks"): an orderer's users and machine client register receivers; the
pages on D-Sure; the scheduled sender and the local stage's `POST /api/dev/webhooks/run`."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate, Response

from chalicelib import logs, settings
from chalicelib.domain import webhooks as rules
from chalicelib.domain.errors import ValidationFailed
from chalicelib.handlers.endpoint import Call, api, created, json_response
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page, redirect
from chalicelib.handlers.schemas import INTEGER, STRING, enum, items, obj, paged, ref

webhooks = lazy("chalicelib.services.webhooks")

bp = Blueprint(__name__)

ORDERER = ("orderer",)
REGISTER_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url", "events"],
    "properties": {
        "url": {"type": "string", "description": "https:// (ローカル環境のみ http://127.0.0.1:PORT も可)"},
        "events": {"type": "array", "items": enum(rules.EVENT_TYPES), "description": "1 つ以上 (ping は常に届く)"},
    },
}
CREATED = obj(
    {
        "webhook_id": STRING,
        "url": STRING,
        "events": {"type": "array", "items": enum(rules.EVENT_TYPES)},
        "department_id": {"type": ["string", "null"]},
        "created_at": STRING,
        "secret": {"type": "string", "description": "whsec_ + base64 (32 バイト)。この応答でだけ示す"},
    }
)
PAGING_QUERY = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    "cursor": {"type": "string", "maxLength": 2048},
}


@api(
    bp,
    "/api/orderer/webhooks",
    "POST",
    summary="Webhook の登録 (シークレットはこの応答でだけ示す)",
    roles=ORDERER,
    body=REGISTER_BODY,
    validate_body=False,
    responses={201: ("登録した Webhook とシークレット", CREATED)},
)
def register(call: Call) -> Response:
    hook, secret = webhooks.register(call.principal, call.body if isinstance(call.body, dict) else {})
    return created(webhooks.view(hook) | {"secret": secret}, f"/api/orderer/webhooks/{hook.webhook_id}")


@api(
    bp,
    "/api/orderer/webhooks",
    "GET",
    summary="登録済みの Webhook (シークレットなし)",
    roles=ORDERER,
    responses={200: ("Webhook の一覧", items(ref("Webhook")))},
)
def list_hooks(call: Call) -> dict[str, Any]:
    return {"items": [webhooks.view(h) for h in webhooks.list_for(call.principal)]}


@api(
    bp,
    "/api/orderer/webhooks/{webhook_id}",
    "GET",
    summary="Webhook 1 件 (シークレットなし)",
    roles=ORDERER,
    responses={200: ("Webhook", ref("Webhook"))},
)
def get_hook(call: Call) -> dict[str, Any]:
    return webhooks.view(webhooks.get_for(call.principal, call.params["webhook_id"]))


@api(
    bp,
    "/api/orderer/webhooks/{webhook_id}",
    "DELETE",
    summary="Webhook の削除 (未送信のイベントも送らない)",
    roles=ORDERER,
    responses={204: ("削除した", None)},
)
def delete_hook(call: Call) -> Response:
    webhooks.delete(call.principal, call.params["webhook_id"])
    return Response(body="", status_code=204)


@api(
    bp,
    "/api/orderer/webhooks/{webhook_id}/test",
    "POST",
    summary="テスト送信 (ping)",
    roles=ORDERER,
    responses={202: ("ping を送信待ちにした", obj({"event_id": STRING}))},
)
def test_hook(call: Call) -> Response:
    return json_response({"event_id": webhooks.test(call.principal, call.params["webhook_id"])}, 202)


@api(
    bp,
    "/api/orderer/webhooks/{webhook_id}/deliveries",
    "GET",
    summary="送信記録 (新しい順)",
    roles=ORDERER,
    query=PAGING_QUERY,
    responses={200: ("イベントごとの送信状況", paged(ref("WebhookAttempt")))},
)
def hook_deliveries(call: Call) -> dict[str, Any]:
    found, next_cursor = webhooks.deliveries(
        call.principal, call.params["webhook_id"], call.query["limit"], call.query.get("cursor")
    )
    return {"items": found, "next_cursor": next_cursor}


@api(
    bp,
    "/api/dev/webhooks/run",
    "POST",
    summary="(ローカル環境のみ) 送信時刻が来た Webhook を今すぐ送る",
    roles=None,
    responses={200: ("結果", obj({"delivered": INTEGER})), 404: ("ローカル以外", None)},
)
def run_now(call: Call) -> dict[str, int]:
    if not settings.current().is_local:
        raise ApiError(404)
    return {"delivered": webhooks.run_due()}


@bp.schedule(Rate(settings.webhook_schedule().sweep_minutes, unit=Rate.MINUTES), name="webhook_sender")
@logs.scoped
def webhook_sender(event):  # noqa: ANN001, ANN201 - Chalice's event type
    """Send what is due (each message once per sweep; failures wait for their backoff)."""
    return {"delivered": webhooks.run_due()}


# --- pages -------------------------------------------------------------------


def _page(call: PageCall, status: int = 200, **extra: Any) -> Response:
    hooks = webhooks.list_for(call.principal)
    context = {"hooks": hooks, "event_types": rules.EVENT_TYPES, "errors": [], "secret": None, "form": {}}
    return call.render("html/dsure/webhooks.html", status=status, no_store=True, **(context | extra))


@page(bp, "/dsure/webhooks", ("GET", "POST"), audience="dsure")
def webhooks_page(call: PageCall) -> Response:
    """The list and the registration form; the new secret is shown once, on the answer to the post."""
    if call.request.method == "GET":
        return _page(call)
    body = {"url": call.form.get("url", "").strip(), "events": call.form_lists.get("events", [])}
    try:
        hook, secret = webhooks.register(call.principal, body)
    except ValidationFailed as exc:  # the form again beside its errors
        return _page(call, 400, errors=[e.message for e in exc.errors], form=body)
    return _page(call, secret=secret, created=hook)


@page(bp, "/dsure/webhooks/{webhook_id}", ("GET",), audience="dsure")
def webhook_page(call: PageCall) -> Response:
    """One webhook: its delivery log, the test button and the delete confirmation."""
    hook = webhooks.get_for(call.principal, call.params["webhook_id"])
    log, next_cursor = webhooks.deliveries(
        call.principal, hook.webhook_id, 20, (call.request.query_params or {}).get("cursor")
    )
    confirm = (call.request.query_params or {}).get("confirm") == "delete"
    return call.render(
        "html/dsure/webhook.html", hook=hook, log=log, next_cursor=next_cursor, confirm_delete=confirm, errors=[]
    )


@page(bp, "/dsure/webhooks/{webhook_id}/test", ("POST",), audience="dsure")
def webhook_test_page(call: PageCall) -> Response:
    webhooks.test(call.principal, call.params["webhook_id"])
    return redirect(f"/dsure/webhooks/{call.params['webhook_id']}")


@page(bp, "/dsure/webhooks/{webhook_id}/delete", ("POST",), audience="dsure")
def webhook_delete_page(call: PageCall) -> Response:
    """Deletes only with the confirmation step's `confirm=yes` (else back to the confirmation)."""
    webhook_id = webhooks.get_for(call.principal, call.params["webhook_id"]).webhook_id  # 404 if not theirs
    if call.form.get("confirm") != "yes":
        return redirect(f"/dsure/webhooks/{webhook_id}?confirm=delete")
    webhooks.delete(call.principal, webhook_id)
    return redirect("/dsure/webhooks")
