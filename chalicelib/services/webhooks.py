"""Webhooks (API.md "Webhooks"): an orderer's contract system hears of every change.

Registration, listing, deletion, the test `ping` and the delivery log serve the orderer's users
and machine client. Events are *emitted* where they happen (the stream triggers, the daily
reminders, 提出): one message row per event and webhook (store/webhooks.py), written once per
event id, due at once. The *sender* (`run_due`: the scheduled function, the local stack's
thread, `POST /api/dev/webhooks/run`) sweeps the due rows, signs each body as Standard Webhooks
(the `standardwebhooks` library) and posts it; a failure is due again after the backoff, with
the same event id, until a 2xx or the end of its 24 hours (then `failed`, still listed).

Why a table of due attempts and not the events stream: a stream shard is ordered, so a record
that keeps failing holds back every later record of its shard until it succeeds or expires — a
dead receiver would delay the key-reissue and rejection mails the same stream carries for up to
24 hours. Here each message waits on its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import time
from dataclasses import replace
from typing import Any

from chalicelib import logs, settings
from chalicelib.domain import clock
from chalicelib.domain import webhooks as rules
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Guarantee
from chalicelib.domain.webhooks import Message, Webhook
from chalicelib.services import departments
from chalicelib.store import deliveries as deliveries_store
from chalicelib.store import inbox as inbox_store
from chalicelib.store import organisations, webhook_http
from chalicelib.store import webhooks as store

#: Seconds one attempt holds its message: longer than the 5 s timeout and the writes around it.
LEASE_SECONDS = 60
SWEEP_BATCH = 50


def _now() -> float:
    """Epoch seconds; a seam for tests that move time on."""
    return time.time()


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, clock.JST).isoformat()


def _department(principal: Principal) -> str | None:
    """The department an orderer user is bound to (issue 29); None for the others and machine clients."""
    return departments.bound_department(principal)


def _found(principal: Principal, webhook_id: str) -> Webhook:
    """The caller's orderer's webhook (a department-bound user: its department's), else 404."""
    hook = store.get(webhook_id)
    if hook is None or hook.orderer_id != principal.org_id:
        raise NotFound()
    if _department(principal) and hook.department_id != _department(principal):
        raise NotFound()
    return hook


def view(hook: Webhook) -> dict[str, Any]:
    return {
        "webhook_id": hook.webhook_id,
        "url": hook.url,
        "events": list(hook.events),
        "department_id": hook.department_id,
        "created_at": hook.created_at,
    }


def register(principal: Principal, body: dict[str, Any]) -> tuple[Webhook, str]:
    """A new webhook and its secret (`whsec_` + base64 of 32 random bytes), shown this once."""
    errors = rules.url_errors(body.get("url"), settings.webhook_schedule().allow_loopback)
    errors += rules.event_types_errors(body.get("events"))
    if errors:
        raise ValidationFailed(errors)
    hook = Webhook(
        webhook_id="wh_" + secrets.token_hex(12),
        orderer_id=principal.org_id,
        url=body["url"],
        events=tuple(e for e in rules.EVENT_TYPES if e in body["events"]),
        created_at=clock.iso_now(),
        created_by=principal.login,
        department_id=_department(principal),
    )
    secret = rules.SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    store.create(hook, secret)
    logs.info("webhook_registered", webhook_id=hook.webhook_id, orderer_id=hook.orderer_id)
    return hook, secret


def list_for(principal: Principal) -> list[Webhook]:
    mine = _department(principal)
    return [h for h in store.of_orderer(principal.org_id) if not mine or h.department_id == mine]


def get_for(principal: Principal, webhook_id: str) -> Webhook:
    return _found(principal, webhook_id)


def delete(principal: Principal, webhook_id: str) -> None:
    """Remove it; its pending messages are dropped by the sender (their webhook is gone)."""
    _found(principal, webhook_id)
    store.delete(webhook_id)
    logs.info("webhook_deleted", webhook_id=webhook_id, orderer_id=principal.org_id)


def test(principal: Principal, webhook_id: str) -> str:
    """Queue a `ping` for this webhook only; its event id."""
    hook = _found(principal, webhook_id)
    event = "evt_" + secrets.token_hex(16)
    _queue(hook, event, "ping", {})
    return event


def deliveries(
    principal: Principal, webhook_id: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    _found(principal, webhook_id)
    messages, next_cursor = store.log(webhook_id, limit, cursor)
    return [m.as_log_item() for m in messages], next_cursor


def _queue(hook: Webhook, event: str, type_: str, data: dict[str, Any]) -> bool:
    now = _now()
    created = clock.iso_now()
    message = Message(
        message_id=rules.message_id(hook.webhook_id, event),
        webhook_id=hook.webhook_id,
        event_id=event,
        type=type_,
        body=rules.body(event, type_, created, data),
        created_at=created,
        first_due=now,
        next_attempt_at=_iso(now),
    )
    return store.add_message(message, expires_at=int(now) + store.LOG_DAYS * 86400)


def emit(
    orderer_id: str, type_: str, occurrence: str, data: dict[str, Any], delivered_to: frozenset[str] = frozenset()
) -> int:
    """Queue one event (one id per orderer and occurrence) for each of the orderer's webhooks that
    wants it (a department's webhook: only events of guarantees delivered to that department,
    `delivered_to`); safe to repeat. Returns how many messages were newly queued."""
    org = organisations.get(orderer_id)
    if org is not None and org.disabled:
        return 0
    event = rules.event_id(orderer_id, type_, occurrence)
    queued = sum(_queue(h, event, type_, data) for h in store.of_orderer(orderer_id) if h.wants(type_, delivered_to))
    if queued:
        logs.info("webhook_event_queued", event_id=event, type=type_, orderer_id=orderer_id, messages=queued)
    return queued


def run_due(limit: int = SWEEP_BATCH) -> int:
    """Send every message due now (one attempt each); how many were delivered."""
    delivered = 0
    for message in store.due_now(_now(), limit):
        lease = _now() + LEASE_SECONDS
        if not store.take(message, lease):
            continue
        delivered += _attempt(replace(message, due_at=lease))
    return delivered


def _attempt(message: Message) -> int:
    lease = message.due_at or 0.0
    hook = store.get(message.webhook_id)
    org = organisations.get(hook.orderer_id) if hook else None
    if hook is None or (org is not None and org.disabled):
        store.settle(message.message_id, lease, {"state": "failed", "due_at": None, "next_attempt_at": None})
        return 0
    outcome = _send(hook, message)
    attempts = message.attempts + 1
    where = {"event_id": message.event_id, "webhook_id": hook.webhook_id, "attempt": attempts}
    if outcome.ok:
        changes = {"state": "delivered", "attempts": attempts, "last_status": outcome.status, "last_error": None}
        done = {"delivered_at": clock.iso_now(), "due_at": None, "next_attempt_at": None}
        store.settle(message.message_id, lease, changes | done)
        logs.info("webhook_delivered", status=outcome.status, **where)
        logs.metric("WebhookAttempts", result="delivered")
        return 1
    scale = settings.webhook_schedule().backoff_scale
    due = rules.next_delay(attempts, message.first_due, _now(), scale)
    changes = {"attempts": attempts, "last_status": outcome.status, "last_error": outcome.error}
    if due is None:
        changes |= {"state": "failed", "due_at": None, "next_attempt_at": None}
    else:
        changes |= {"due_at": due, "next_attempt_at": _iso(due)}
    store.settle(message.message_id, lease, changes)
    logs.warning("webhook_attempt_failed", status=outcome.status, error=outcome.error, failed=due is None, **where)
    logs.metric("WebhookAttempts", result="failed" if due is None else "retry")
    return 0


def _send(hook: Webhook, message: Message) -> rules.Outcome:
    from standardwebhooks import Webhook as Signer

    secret = store.secret_of(hook.webhook_id) or ""
    timestamp = dt.datetime.fromtimestamp(int(time.time()), dt.UTC)  # the wall clock, as receivers check it
    headers = {
        "webhook-id": message.event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Signer(secret).sign(message.event_id, timestamp, message.body),
        "User-Agent": "e-Surety-Webhooks/1",
    }
    allow = rules.is_loopback_allowed(hook.url, settings.webhook_schedule().allow_loopback)
    return webhook_http.post(hook.url, message.body.encode("utf-8"), headers, allow_private=allow)


def version_kind(g: Guarantee) -> str | None:
    """The kind of the guarantee's latest version."""
    latest = next((v for v in g.history if v.version == g.latest_version), None)
    return latest.kind if latest is not None else None


def holders(g: Guarantee) -> dict[str, frozenset[str]]:
    """The orderers holding the guarantee — delivered to (with the departments it was delivered to)
    or having verified it (its inbox) — each with those departments."""
    held: dict[str, set[str]] = {}
    for d in deliveries_store.of_number(g.number):
        held.setdefault(d.orderer_id, set()).add(d.department_id)
    if g.orderer_id and g.orderer_id not in held and inbox_store.get(g.orderer_id, g.number) is not None:
        held[g.orderer_id] = set()
    return {orderer: frozenset(depts) for orderer, depts in held.items()}


def emit_guarantee(g: Guarantee, type_: str, occurrence: str, version: int, version_kind: str | None) -> int:
    """A guarantee event (changed, cancelled, key_reissued, expiring) to every orderer holding it."""
    data = rules.guarantee_data(g.number, version, g.kind, version_kind, g.deadline)
    return sum(emit(orderer, type_, occurrence, data, depts) for orderer, depts in holders(g).items())
