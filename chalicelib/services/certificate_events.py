"""What a newly written certificate version sets off: the orderer's inbox, then the mail.

The stream trigger calls this once per INSERT record. Both steps are safe to
repeat (the inbox update is conditional on time, the mail is claimed per
version), so a redelivered record changes nothing twice.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.webhooks import VERSION_EVENTS
from chalicelib.services import deliveries, notify, verify, webhooks
from chalicelib.store import guarantees as guarantees_store


def on_inserted(new_image: dict[str, Any] | None) -> str:
    """Returns the notify outcome; raises when the record must be retried."""
    cert = guarantees_store.version_from_image(new_image)  # None: notify reports the unusable image
    if cert is not None and isinstance(cert.content, dict) and cert.content.get("orderer_id"):
        # A 訂正/変更/取消 moves the guarantee up the orderer's inbox (unseen until verified again).
        verify.note_new_version(cert.content["orderer_id"], cert.number, cert.issued_at)
    if cert is not None and cert.version > 1:
        # Issue 29: every delivery of the guarantee is back to 未受領 at the new version (once).
        deliveries.follow(cert.number, cert.version, cert.kind, cert.issued_at)
    if cert is not None and cert.kind in VERSION_EVENTS:
        _emit(cert.number, cert.version, cert.kind)
    return notify.on_certificate_inserted(new_image)


def _emit(number: str, version: int, version_kind: str) -> None:
    """guarantee.changed / guarantee.cancelled to the orderers holding it (queued once per version,
    however often the record comes; sent by the webhook sender, never from this stream)."""
    g = guarantees_store.get(number, consistent=True)
    if g is not None:
        webhooks.emit_guarantee(g, VERSION_EVENTS[version_kind], f"version#{number}#{version}", version, version_kind)
