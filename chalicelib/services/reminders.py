"""The daily 保証期限 reminders (API.md "Reminders"), run at 06:00 JST by a scheduled function
(handlers/maintenance.py) and locally by `POST /api/dev/daily`.

For every valid guarantee (契約保証予約 excluded) whose 保証期限 is at most 30 — or 7 — days away
(domain/reminders.py), once per guarantee, 保証期限 and threshold:
1. 「保証期限が近づいています」 to the application's address, or to each of the contractor's active
   users when the application has none — each mail claimed in the notifications table before SES
   is called and marked sent after (the completion mail's claim-act-complete,
   services/event_notices.claimed_once), so a second run, or a retry, sends nothing twice;
2. for an electronic guarantee, `guarantee.expiring` to the orderer holding it (one event id per
   reminder: queued once however often this runs) and `latest_event: expiring`.

The one window for a duplicate mail is the completion mail's: SES accepted and the run died before
the mark; the lease (services/notify.LEASE_SECONDS) then runs out and the next run sends again. A
run that dies after the claim and before SES leaves the claim to run out: the next run after the
lease sends it. A guarantee that fails is logged and left for the next run; the others go on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from markupsafe import escape

from chalicelib import logs, settings
from chalicelib.domain import clock, era
from chalicelib.domain import reminders as rules
from chalicelib.domain.records import Guarantee
from chalicelib.render import mail as mail_render
from chalicelib.services import event_notices, notify, webhooks
from chalicelib.store import accounts as accounts_store
from chalicelib.store import deliveries as deliveries_store
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store import mailer

SUBJECT = "保証期限が近づいています"


def run(today: dt.date | None = None) -> int:
    """One daily pass as of `today` (JST; default today); the number of mails sent."""
    today = today or clock.today()
    sent = 0
    for day in rules.days_ahead(today):
        for g in guarantees_store.with_deadline(day.isoformat()):
            days = rules.threshold(dt.date.fromisoformat(g.deadline), today)
            if days is None or not rules.wanted(g.kind, g.status):
                continue
            try:
                sent += _remind(g, days)
            except notify.NotDelivered as exc:  # a live lease, or a refused send: the next run retries
                logs.warning("reminder_not_sent", number=g.number, days=days, reason=type(exc).__name__)
    logs.info("reminders_run", date=today.isoformat(), sent=sent)
    logs.metric("RemindersSent", sent)
    return sent


def recipients(g: Guarantee) -> list[str]:
    """The application's address, else the contractor's active users' addresses."""
    address = (g.details or {}).get("email")
    if isinstance(address, str) and address.strip():
        return [address.strip()]
    return sorted(accounts_store.emails_of_org(g.contractor_org))


def _remind(g: Guarantee, days: int) -> int:
    key = rules.key(g.number, g.deadline, days)
    sent = 0
    for address in recipients(g):
        outcome = event_notices.claimed_once(f"{key}#{address.lower()}", lambda a=address: _send(g, days, a))
        sent += outcome == "sent"
    if g.electronic:
        webhooks.emit_guarantee(g, "guarantee.expiring", key, g.latest_version, webhooks.version_kind(g))
        _mark_expiring(g)
    if sent:
        logs.info("reminder_sent", number=g.number, days=days, mails=sent)
    return sent


def _mark_expiring(g: Guarantee) -> None:
    """`latest_event: expiring` where an orderer holds it: its inbox (read from the guarantee) and
    each delivery (its own field; the delivery's state is left as it is)."""
    if not webhooks.holders(g):
        return
    guarantees_store.mark_expiring(g.number, clock.iso_now())
    for d in deliveries_store.of_number(g.number):
        if d.latest_event != "expiring":
            deliveries_store.replace_if_unchanged(d, replace(d, latest_event="expiring"), None)


def _send(g: Guarantee, days: int, address: str) -> tuple[str, str | None]:
    text = _text(g, days)
    html = "<p>" + "<br>".join(str(escape(line)) for line in text.splitlines()) + "</p>"
    return "sent", mailer.send(mailer.Mail(address, SUBJECT, text, html))


def _text(g: Guarantee, days: int) -> str:
    """The plain body in the house style (render/mail.compose_notice): which guarantee, its 保証期限,
    what to do; never a 認証キー."""
    details = g.details or {}
    return mail_render.compose_notice(
        "guarantee_expiring",
        addressee=details.get("contractor_name"),
        number=g.number,
        application_id=g.application_id,
        project_name=details.get("project_name"),
        reason=str(days),
        url=settings.current().url(f"/netdesk/guarantees/{g.number}"),
        deadline=era.era_date(g.deadline),
    )
