"""What a staff event sets off (DESIGN.md §2 "events"), exactly once per event.

The events stream delivers each row at least once. Like the completion mail
(services/notify.py), each notice is claimed in the notifications table
(`event#<id>`, a lease) before SES is called and marked sent after, so a
redelivered record sends nothing twice; the same single window (SES accepted,
then a crash before the mark) is the only way to a second mail.

- key_reissued: 「認証キー再発行のお知らせ」 to the contractor (never the key), and the
  guarantee moves up the inbox of the orderer that verified it (unseen until it looks again).
- application_rejected: 「保証申込差戻しのお知らせ」 with the reason, when the application
  asked for mail (the event then carries the address).
- password_reset: a reset request queued by `POST /api/account/reset` (issue 26); the account
  is looked up only here, after the request was answered (services/accounts.send_reset_link).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import escape

from chalicelib import logs, settings
from chalicelib.domain import clock
from chalicelib.domain import webhooks as webhook_rules
from chalicelib.render import mail
from chalicelib.services import accounts, deliveries, notify, verify, webhooks
from chalicelib.store import departments, events, guarantees, mailer

SUBJECTS = {
    "key_reissued": "認証キー再発行のお知らせ",
    "application_rejected": "保証申込差戻しのお知らせ",
    # Issue 29: to the department's address (created, changed) and to the contractor (received, returned)
    "delivery_created": "電子保証の提出がありました",
    "delivery_changed": "電子保証の変更がありました",
    "delivery_received": "受領のお知らせ",
    "delivery_returned": "電子保証の差戻しのお知らせ",
}


def _delivery_text(event: events.Event) -> str:
    """A delivery's notice in the house style: to the department (a link to D-Sure) or to the contractor
    (a link to 電子保証概要); never the key. The event carries whom it greets (services/deliveries.py)."""
    dept = departments.get(event.orderer_id or "", event.department_id or "") if event.department_id else None
    if event.kind in ("delivery_created", "delivery_changed"):
        url = settings.current().url(f"/dsure/deliveries/{event.delivery_id}")
    else:
        url = settings.current().url(f"/netdesk/guarantees/{event.number}")
    return mail.compose_notice(
        event.kind,
        addressee=event.addressee,  # the department (with its orderer's name) or the contractor
        number=event.number,
        application_id=None,
        project_name=event.project_name,
        reason=event.reason,
        url=url,
        version=event.version,
        event=event.version_kind,
        department_name=dept.name if dept else None,
    )


def _text(event: events.Event) -> str:
    """The plain body; no 認証キー ever appears in it. Every notice is in the house style
    (render/mail.compose_notice)."""
    if event.kind.startswith("delivery_"):
        return _delivery_text(event)
    if event.kind == "key_reissued":
        url = settings.current().url(f"/netdesk/guarantees/{event.number}")
    else:
        url = settings.current().url(f"/netdesk/applications/{event.application_id or ''}")
    return mail.compose_notice(
        event.kind,
        addressee=event.addressee,
        number=event.number,
        application_id=event.application_id,
        project_name=event.project_name,
        reason=event.reason,
        url=url,
    )


def _html(text: str) -> str:
    return "<p>" + "<br>".join(str(escape(line)) for line in text.splitlines()) + "</p>"


def on_inserted(new_image: dict[str, Any] | None) -> str:
    """sent | already_sent | not_wanted | unusable; raises notify.NotDelivered to be retried."""
    event = events.from_image(new_image)
    if event is None:
        logs.error("event_unusable_record")
        return "unusable"
    where = {"event_id": event.event_id, "kind": event.kind}
    if event.kind == "password_reset":
        return _reset_link(event)
    if event.kind == "key_reissued" and event.orderer_id and event.number:
        verify.note_new_version(event.orderer_id, event.number, event.at)  # flag it in the inbox
        _follow_reissue(event)
    if event.kind in ("key_reissued", "delivery_created") and event.number:
        _emit_webhook(event)
    if not event.email:
        logs.info("event_not_wanted", **where)
        return "not_wanted"
    text = _text(event)
    outcome = _once(
        event, lambda: ("sent", mailer.send(mailer.Mail(event.email, SUBJECTS[event.kind], text, _html(text))))
    )
    if outcome == "sent":
        logs.info("event_notice_sent", **where)
    return outcome


def _emit_webhook(event: events.Event) -> None:
    """Issue 30: guarantee.key_reissued to the orderers holding it, delivery.created to the orderer
    delivered to (its department's webhooks too) — queued once per event, sent by the webhook sender."""
    g = guarantees.get(event.number or "", consistent=True)
    if g is None:
        return
    occurrence = f"event#{event.event_id}"
    if event.kind == "key_reissued":
        webhooks.emit_guarantee(g, "guarantee.key_reissued", occurrence, g.latest_version, webhooks.version_kind(g))
        return
    data = webhook_rules.guarantee_data(
        g.number, event.version or g.latest_version, g.kind, webhooks.version_kind(g), g.deadline, event.delivery_id
    )
    departments = frozenset({event.department_id}) if event.department_id else frozenset()
    webhooks.emit(event.orderer_id or g.orderer_id, "delivery.created", occurrence, data, departments)


def _follow_reissue(event: events.Event) -> None:
    """Issue 29: a key reissue puts each delivery back to 未受領 (same version, latest_event key_reissued)."""
    g = guarantees.get(event.number or "", consistent=True)
    if g is not None:
        deliveries.follow(g.number, g.latest_version, "key_reissued", event.at)


def _reset_link(event: events.Event) -> str:
    """A queued reset request, once per event (the same claim as a notice): sent | not_wanted | limited."""
    outcome = _once(event, lambda: (accounts.send_reset_link(event.login or ""), None))
    if outcome != "already_sent":
        logs.info("reset_request_done", event_id=event.event_id, outcome=outcome)
    return outcome


def _once(event: events.Event, act: Callable[[], tuple[str, str | None]]) -> str:
    """Run `act` once per event under the notices' claim (`claimed_once`)."""
    return claimed_once(f"event#{event.event_id}", act)


def claimed_once(nid: str, act: Callable[[], tuple[str, str | None]]) -> str:
    """Run `act` once per key under the notices' claim: another delivery of the same stream record
    (or another run of the daily reminders) answers "already_sent" (or LeaseHeld while the first is
    still at it); a failed `act` gives the claim back and raises NotDelivered, so it is retried.
    `act` → (outcome, message id)."""
    token = notify.CLAIMS.claim(nid, notify.LEASE_SECONDS, notify._now(), data={"updated_at": clock.iso_now()})
    if token is None:
        record = notify.CLAIMS.read(nid)
        if record is not None and record.status == notify.CLAIMS.done:
            return "already_sent"
        raise notify.LeaseHeld(nid)
    try:
        outcome, message_id = act()
    except Exception as exc:  # noqa: BLE001 - any refusal: give the claim back and retry
        notify.CLAIMS.release(nid, token, {"updated_at": clock.iso_now()})
        raise notify.NotDelivered(nid) from exc
    done = {"updated_at": clock.iso_now()} | ({"message_id": message_id} if message_id else {})
    notify.CLAIMS.complete(nid, token, done)
    return outcome
