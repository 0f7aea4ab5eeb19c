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
import urllib.request
from typing import Any


def _moto_endpoint() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SES") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise RuntimeError("the local outbox needs the moto endpoint (AWS_ENDPOINT_URL)")
    return endpoint.rstrip("/")


def sent_mail() -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{_moto_endpoint()}/moto-api/data.json", timeout=5) as resp:  # noqa: S310 - loopback moto only
        data = json.load(resp)
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
