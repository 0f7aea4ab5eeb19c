"""SES feedback (bounce and complaint notifications, delivered through SNS): mark the address.

A permanent bounce or any complaint suppresses the address; the mailer then
sends nothing to it (store/mailer.py), and people see the flag where the
address is shown. Transient bounces (mailbox full, …) are only logged.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import logs
from chalicelib.store import suppressions


def handle(message: str) -> list[str]:
    """Apply one SES notification (the SNS message body); returns the addresses it suppressed."""
    try:
        note: dict[str, Any] = json.loads(message)
    except (TypeError, ValueError):
        logs.warning("ses_feedback_unreadable")
        return []
    kind = note.get("notificationType") or note.get("eventType")
    if kind == "Bounce":
        bounce = note.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            logs.info("ses_bounce_transient", count=len(bounce.get("bouncedRecipients") or []))
            return []
        recipients = [(r.get("emailAddress"), r.get("diagnosticCode")) for r in bounce.get("bouncedRecipients") or []]
        reason = "bounce"
    elif kind == "Complaint":
        recipients = [
            (r.get("emailAddress"), None) for r in (note.get("complaint") or {}).get("complainedRecipients") or []
        ]
        reason = "complaint"
    else:
        return []
    marked = []
    for address, detail in recipients:
        if isinstance(address, str) and "@" in address:
            suppressions.mark(address, reason, detail)
            marked.append(address.strip().lower())
    logs.info("ses_feedback", reason=reason, count=len(marked))
    logs.metric("MailBounced" if reason == "bounce" else "MailComplained", len(marked))
    return marked


def undeliverable(address: str | None) -> str | None:
    """'bounce' or 'complaint' when mail to `address` is suppressed (for Net Desk and staff pages)."""
    return suppressions.reason_for(address)


def flag_applications(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set `email_undeliverable` ('bounce' | 'complaint' | None) on application views, one read per page."""
    emails = [((a.get("delivery") or {}).get("email")) for a in items]
    reasons = suppressions.reasons_for(emails)
    for item, email in zip(items, emails, strict=True):
        item["email_undeliverable"] = reasons.get(email.strip().lower()) if email else None
    return items
