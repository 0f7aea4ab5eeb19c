"""Webhooks and their messages (API.md "Webhooks"): the registrations, and one row per event and
webhook that the sender sweeps until it is delivered or its 24 hours are spent.

A message row is written once per event id (a conditional put), so an event emitted again by a
redelivered stream record or a retried reminder adds nothing. While pending it carries `due` and
`due_at` (the sparse `by_due` index); the sender takes one by moving `due_at` past a lease with a
condition on the value it read, so two sweeps never send the same attempt, and a sender that dies
mid-send leaves the message due again once the lease is over (at least once).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.webhooks import Message, Webhook
from chalicelib.store import paging, sealed, tx
from chalicelib.store.models import WebhookMessageModel, WebhookModel

DUE = "due"
LOG_DAYS = 30


def _hook(row: WebhookModel) -> Webhook:
    return Webhook(
        webhook_id=row.webhook_id,
        orderer_id=row.orderer_id,
        url=row.url,
        events=tuple(row.events or ()),
        created_at=row.created_at,
        created_by=row.created_by,
        department_id=row.department_id,
    )


def _message(row: WebhookMessageModel) -> Message:
    return Message(
        message_id=row.message_id,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        type=row.type,
        body=row.body,
        created_at=row.created_at,
        first_due=float(row.first_due),
        state=row.state,
        attempts=int(row.attempts or 0),
        last_status=int(row.last_status) if row.last_status is not None else None,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        next_attempt_at=row.next_attempt_at,
        due_at=float(row.due_at) if row.due_at is not None else None,
    )


def create(hook: Webhook, secret: str) -> None:
    """Store a new webhook, its secret sealed to its id (store/sealed.py)."""
    row = WebhookModel(
        hook.webhook_id,
        orderer_id=hook.orderer_id,
        department_id=hook.department_id,
        url=hook.url,
        events=list(hook.events),
        secret=sealed.seal(secret, hook.webhook_id),
        created_at=hook.created_at,
        created_by=hook.created_by,
    )
    tx.retrying(lambda: row.save(condition=WebhookModel.webhook_id.does_not_exist()), what="webhook")


def get(webhook_id: str) -> Webhook | None:
    try:
        return _hook(WebhookModel.get(webhook_id, consistent_read=True))
    except DoesNotExist:
        return None


def secret_of(webhook_id: str) -> str | None:
    """The plain secret, for signing only (never logged, never answered after creation)."""
    try:
        row = WebhookModel.get(webhook_id, consistent_read=True)
    except DoesNotExist:
        return None
    return sealed.open_value(row.secret, webhook_id)


def of_orderer(orderer_id: str) -> list[Webhook]:
    """An orderer's webhooks, oldest first (a small reference list)."""
    return [_hook(row) for row in WebhookModel.by_orderer.query(orderer_id)]


def delete(webhook_id: str) -> bool:
    try:
        tx.retrying(lambda: WebhookModel(webhook_id).delete(condition=WebhookModel.webhook_id.exists()), what="webhook")
    except tx.ConditionFailed:
        return False
    return True


def add_message(message: Message, expires_at: int) -> bool:
    """Queue one event for one webhook, due at once; False when that event was queued before."""
    row = WebhookMessageModel(
        message.message_id,
        webhook_id=message.webhook_id,
        event_id=message.event_id,
        type=message.type,
        body=message.body,
        created_at=message.created_at,
        first_due=message.first_due,
        state="pending",
        attempts=0,
        next_attempt_at=message.next_attempt_at,
        due=DUE,
        due_at=message.first_due,
        expires_at=dt.datetime.fromtimestamp(expires_at, dt.UTC),
    )
    try:
        tx.retrying(lambda: row.save(condition=WebhookMessageModel.message_id.does_not_exist()), what="webhook")
    except tx.ConditionFailed:
        return False
    return True


def due_now(now: float, limit: int) -> list[Message]:
    """Pending messages due by `now`, oldest first."""
    rows = WebhookMessageModel.by_due.query(DUE, WebhookMessageModel.due_at <= now, limit=limit)
    return [_message(row) for row in rows]


def take(message: Message, lease_until: float) -> bool:
    """Take a due message for this attempt: move `due_at` to the lease's end, on the condition that
    nobody moved it since it was read. False: another sweep took it (or it is settled)."""
    condition = (WebhookMessageModel.due_at == message.due_at) & (WebhookMessageModel.state == "pending")
    try:
        tx.retrying(
            lambda: WebhookMessageModel(message.message_id).update(
                actions=[WebhookMessageModel.due_at.set(lease_until)], condition=condition
            ),
            what="webhook",
        )
    except tx.ConditionFailed:
        return False
    return True


def settle(message_id: str, lease_until: float, changes: dict[str, Any]) -> None:
    """Write what an attempt came to, while this attempt's lease still holds the message. A key
    of `changes` set to None is removed; `due_at` None also leaves the sweep's index."""
    actions = []
    for name, value in changes.items():
        attribute = getattr(WebhookMessageModel, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if changes.get("due_at", 0) is None:
        actions.append(WebhookMessageModel.due.remove())
    condition = WebhookMessageModel.due_at == lease_until
    try:
        tx.retrying(
            lambda: WebhookMessageModel(message_id).update(actions=actions, condition=condition), what="webhook"
        )
    except tx.ConditionFailed:
        pass  # the lease ran out and another sweep has the message: its outcome wins


def log(webhook_id: str, limit: int, cursor: str | None) -> tuple[list[Message], str | None]:
    """A webhook's messages, newest first."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        return WebhookMessageModel.by_webhook.query(
            webhook_id, scan_index_forward=False, limit=size, last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, convert=_message, scope=f"webhook:{webhook_id}")
