"""The local stage's outbox: the mail SES (the moto server) accepted so far.

Only the local stage has it: there SES is moto, which keeps every message and
exposes them on its own data endpoint. Raw (MIME) messages are decoded to
their subject and text part, so a person reads what the contractor would.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any


def _moto_endpoint() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SES") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise RuntimeError("the local outbox needs the moto endpoint (AWS_ENDPOINT_URL)")
    return endpoint.rstrip("/")


def _moto_data() -> dict[str, Any]:
    """moto's dump of its SES models (devstack/moto_data.py: `service=ses` keeps the answer to the
    mail, where moto alone dumps every table item and object of the run). The dump walks moto's live registries and objects without
    a lock, so while the stack is writing (the pump sending a mail) it can fail with a 500;
    such a failure is retried a few times rather than shown as the app's own 500."""
    for attempt in range(3):
        try:
            with urllib.request.urlopen(f"{_moto_endpoint()}/moto-api/data.json?service=ses", timeout=5) as resp:  # noqa: S310 - loopback moto only
                return json.load(resp)
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == 2:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def sent_mail() -> list[dict[str, Any]]:
    data = _moto_data()
    # moto keeps each kind in the order it was sent; this system sends raw MIME only.
    items: list[dict[str, Any]] = []
    for kind, records in data.get("ses", {}).items():
        if kind not in ("Message", "RawMessage", "TemplateMessage"):
            continue
        for rec in records:
            items.append(_decode(kind, rec))
    return items


def _decode(kind: str, rec: dict[str, Any]) -> dict[str, Any]:
    if kind == "RawMessage":
        raw = rec.get("raw_data", "")
        msg = email.message_from_string(raw, policy=email.policy.default)
        text_part = msg.get_body(preferencelist=("plain",))
        html_part = msg.get_body(preferencelist=("html",))
        return {
            "to": list(dict.fromkeys(rec.get("destinations") or [])),
            "subject": str(msg.get("Subject", "")),
            "body": text_part.get_content() if text_part else "",
            "html": html_part.get_content() if html_part else None,
        }
    dest = rec.get("destinations") or {}
    to = dest.get("ToAddresses", []) if isinstance(dest, dict) else list(dest)
    return {"to": list(dict.fromkeys(to)), "subject": rec.get("subject", ""), "body": rec.get("body", ""), "html": None}
