"""Completion mail for a certificate version, exactly once per version (DESIGN.md §2 "Triggers").

The certificates stream delivers every version at least once, and may deliver
it again (retries, bisected batches, replays). One notifications row per
version (`<number>#<version>`) is the de-duplication point:

1. Decide: only an INSERT of a version whose guarantee has `details.notify`
   true and an `email` is mailed (paper guarantees too, with paper wording and
   no key; see templates/email). The mail is composed before anything is
   claimed, so a rendering fault changes nothing.
2. Claim: a conditional put creates the row as `claimed` with a lease of
   LEASE_SECONDS and a random claim token. It succeeds only when the row is
   absent or holds a claim whose lease has run out.
3. Send through SES, then mark the row `sent` (conditional on still holding
   the claim).

A version already `sent` is skipped and acknowledged. A version under a live
lease is not sent either, but reported back as not delivered, so the stream
offers it again later: either the holder marked it sent by then (skipped) or
the holder died and its lease ran out (claimed and sent now). A failed send
releases this attempt's own lease (conditionally, by token) and raises, so the
record is retried at once; SES refused it, so nothing went out.

The one window for a second mail: SES accepted the message and then the
function died (or timed out, or lost its connection while reading SES's
answer) before the row was marked `sent`. The lease then runs out and a
redelivery sends the mail again. A failure of the mark itself, after SES
accepted, does not reopen the window: it is logged and the record is still
acknowledged as delivered. The lease (LEASE_SECONDS) is four times the
function timeout, so no live holder can lose its claim mid-send.
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib import logs, settings
from chalicelib.domain import clock
from chalicelib.domain.records import CertificateVersion, Guarantee
from chalicelib.render import mail as mail_render
from chalicelib.store import claims, mailer
from chalicelib.store import guarantees as guarantees_store

CLAIMS = claims.NOTIFICATIONS

#: Seconds a claim is exclusive. Longer than any send can take (Lambda timeout 30 s).
LEASE_SECONDS = 120


class NotDelivered(Exception):
    """The version's mail was not sent this time; the stream record must be offered again."""


class LeaseHeld(NotDelivered):
    """Another attempt holds a live claim on this version."""


def _now() -> float:
    """Epoch seconds; a seam for tests that let a lease run out."""
    return time.time()


def notification_id(number: str, version: int) -> str:
    return f"{number}#{version}"


def on_certificate_inserted(new_image: dict[str, Any] | None) -> str:
    """Mail the contractor about one newly written certificate version, at most once.

    Returns the outcome (sent | already_sent | not_wanted | unusable); raises
    NotDelivered when the record must be retried.
    """
    cert = _version(new_image)
    if cert is None:
        logs.error("notify_unusable_record")
        return "unusable"
    where = {"number": cert.number, "version": cert.version}
    guarantee = guarantees_store.get(cert.number, consistent=True)
    if guarantee is None:
        logs.error("notify_guarantee_missing", **where)
        return "unusable"
    address = recipient(guarantee)
    if address is None:
        logs.info("notify_not_wanted", **where)
        return "not_wanted"

    composed = mail_render.compose(
        cert.content,
        version_kind=cert.kind,
        form=guarantee.form,
        guarantee_url=settings.current().url(f"/netdesk/guarantees/{cert.number}"),
        previous=_previous_content(cert),
    )
    nid = notification_id(cert.number, cert.version)
    token = _claim(nid)
    if token is None:
        if _is_sent(nid):
            logs.info("notify_already_sent", **where)
            return "already_sent"
        logs.info("notify_lease_held", **where)
        raise LeaseHeld(nid)
    try:
        message_id = mailer.send(mailer.Mail(address, composed.subject, composed.text, composed.html))
    except Exception as exc:  # noqa: BLE001 - any refusal: give the claim back and retry
        _release(nid, token)
        logs.error("notify_send_failed", error=type(exc).__name__, **where)
        raise NotDelivered(nid) from exc
    _mark_sent(nid, token, message_id, where)
    logs.info("notify_sent", message_id=message_id, **where)
    return "sent"


def recipient(guarantee: Guarantee) -> str | None:
    """The application's address when the contractor asked for the mail (希望する), else None."""
    details = guarantee.details or {}
    email = details.get("email")
    if details.get("notify") is True and isinstance(email, str) and email.strip():
        return email.strip()
    return None


def _version(new_image: dict[str, Any] | None) -> CertificateVersion | None:
    """The stream image as a version, or None when it cannot be a certificate version."""
    cert = guarantees_store.version_from_image(new_image)
    if cert is None:
        return None
    content = cert.content
    if cert.kind not in mail_render.VERSION_KINDS or not isinstance(content, dict) or not content.get("number"):
        return None
    return cert


def _previous_content(cert: CertificateVersion) -> dict[str, Any] | None:
    """The version before this one, to list what changed; None for version 1 or if absent."""
    if cert.version <= 1:
        return None
    previous = guarantees_store.version(cert.number, cert.version - 1, consistent=True)
    return previous.content if previous is not None else None


def _claim(nid: str) -> str | None:
    """Take the version for this attempt; the claim token, or None if sent or leased."""
    return CLAIMS.claim(nid, LEASE_SECONDS, _now(), data={"updated_at": clock.iso_now()})


def _is_sent(nid: str) -> bool:
    record = CLAIMS.read(nid)
    return record is not None and record.status == CLAIMS.done


def _release(nid: str, token: str) -> None:
    """End this attempt's own lease now, so the retry need not wait for it to run out."""
    try:
        CLAIMS.release(nid, token, {"updated_at": clock.iso_now()})
    except Exception:  # noqa: BLE001 - best effort
        # Lost the claim already, or the table is unreachable: the lease runs out on its own.
        logs.warning("notify_release_failed", notification=nid)


def _mark_sent(nid: str, token: str, message_id: str, where: dict[str, Any]) -> None:
    """Record the send. SES has accepted by now: a failure here is logged, never retried."""
    try:
        marked = CLAIMS.complete(nid, token, {"message_id": message_id, "updated_at": clock.iso_now()})
    except Exception:  # noqa: BLE001 - SES accepted: retrying would send a second mail
        logs.error("notify_mark_failed", message_id=message_id, exc_info=True, **where)
        return
    if not marked:
        logs.error("notify_mark_failed", message_id=message_id, reason="claim_lost", **where)
