"""Webhooks (API.md "Webhooks"): the rules, with no I/O — which URL may be registered, which address
may be connected to, when the next attempt is due, what an event's body says.

Targets are checked twice. At registration (`url_errors`) without a network look-up: `https://`,
and a host that is a literal IP must be public; the local stage may also allow
`http://127.0.0.1:PORT` (`allow_loopback`, a local-only setting). At send time the store resolves
the host and every address must pass `address_is_public` before it connects — to that very address
(store/webhook_http.py), so a DNS answer that changes between check and connect cannot reach a
private one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.errors import FieldError

#: What a webhook may subscribe to (`ping` is not one: it always comes).
EVENT_TYPES = (
    "delivery.created",
    "guarantee.changed",
    "guarantee.cancelled",
    "guarantee.key_reissued",
    "guarantee.expiring",
)
ALL_TYPES = (*EVENT_TYPES, "ping")
STATES = ("pending", "delivered", "failed")
ERRORS = ("timeout", "connection", "refused_target", "redirect")
#: A version's kind → the event it sets off (a new version 1 sets off nothing by itself).
VERSION_EVENTS = {
    "correction": "guarantee.changed",
    "change": "guarantee.changed",
    "cancellation": "guarantee.cancelled",
}

MAX_URL = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
#: Seconds after the first attempt's due time at which each retry is due (Standard Webhooks'
#: schedule, cut at 24 h): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then one last try at 24 h.
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000)
RETRY_WINDOW = 24 * 3600
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Webhook:
    webhook_id: str
    orderer_id: str
    url: str
    events: tuple[str, ...]
    created_at: str
    created_by: str
    department_id: str | None = None

    def wants(self, type_: str, delivered_to: frozenset[str] = frozenset()) -> bool:
        """`ping` always; otherwise a subscribed type, and for a department's webhook only events of
        guarantees delivered to that department (`delivered_to`: the departments it was delivered to)."""
        if type_ == "ping":
            return True
        if type_ not in self.events:
            return False
        return self.department_id is None or self.department_id in delivered_to


@dataclass(frozen=True)
class Message:
    """One event for one webhook, and what its attempts so far came to."""

    message_id: str
    webhook_id: str
    event_id: str
    type: str
    body: str
    created_at: str
    first_due: float
    state: str = "pending"
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: str | None = None
    next_attempt_at: str | None = None
    due_at: float | None = None

    def as_log_item(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "state": self.state,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "delivered_at": self.delivered_at,
            "next_attempt_at": self.next_attempt_at,
        }


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: a status (any HTTP answer) or an error (none came)."""

    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def message_id(webhook_id: str, event: str) -> str:
    return f"{webhook_id}#{event}"


_LOOPBACK_URL = re.compile(r"^http://127\.0\.0\.1:(\d{1,5})(/[^\s#]*)?$")
_BAD_URL = "https:// で始まる URL を入力してください。"
_PRIVATE = "公開されていないアドレス (プライベート・ループバック等) には送信できません。"


def address_is_public(address: str) -> bool:
    """A globally routable unicast address (no private, loopback, link-local, shared, reserved,
    multicast or documentation range; an IPv4-mapped IPv6 address is judged as its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def is_loopback_allowed(url: str, allow_loopback: bool) -> bool:
    return allow_loopback and bool(_LOOPBACK_URL.match(url))


def url_errors(url: Any, allow_loopback: bool) -> list[FieldError]:
    """The registration check of API.md "Targets", made without any network look-up."""
    if not isinstance(url, str) or not url:
        return [FieldError("url", "URL を入力してください。", "required")]
    if len(url) > MAX_URL:
        return [FieldError("url", f"URL は {MAX_URL} 文字以内で入力してください。", "too_long")]
    if is_loopback_allowed(url, allow_loopback):
        return []
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return [FieldError("url", _BAD_URL)]
    if parts.scheme != "https" or not host or parts.username or parts.password or any(c.isspace() for c in url):
        return [FieldError("url", _BAD_URL)]
    if port == 0:
        return [FieldError("url", _BAD_URL)]
    literal = _literal_ip(host)
    if literal is not None and not address_is_public(literal):
        return [FieldError("url", _PRIVATE)]
    return []


def event_types_errors(events: Any) -> list[FieldError]:
    if not isinstance(events, list) or not events:
        return [FieldError("events", "受け取るイベントを 1 つ以上選んでください。", "required")]
    if any(e not in EVENT_TYPES for e in events):
        return [FieldError("events", "イベントの種類が正しくありません: " + ", ".join(EVENT_TYPES))]
    return []


def next_delay(attempts: int, first_due: float, now: float, scale: float = 1.0) -> float | None:
    """When the next attempt is due after `attempts` failed ones (epoch seconds), or None once the
    24-hour window is spent. `scale` shrinks the schedule (the local stage runs it in seconds)."""
    window_end = first_due + RETRY_WINDOW * scale
    if now >= window_end:
        return None
    if attempts <= len(RETRY_DELAYS):
        due = first_due + sum(RETRY_DELAYS[:attempts]) * scale
        return max(min(due, window_end), now)
    return window_end


def event_id(orderer_id: str, type_: str, occurrence: str) -> str:
    """One id per orderer and occurrence: the same whichever redelivery of its cause emits it."""
    digest = hashlib.sha256(f"{orderer_id}|{type_}|{occurrence}".encode()).hexdigest()
    return "evt_" + digest[:32]


def body(event: str, type_: str, created_at: str, data: dict[str, Any]) -> str:
    """The JSON text that is signed and sent (never a key)."""
    return json.dumps({"id": event, "type": type_, "created_at": created_at, "data": data}, ensure_ascii=False)


def guarantee_data(
    number: str, version: int, kind: str, version_kind: str | None, deadline: str, delivery_id: str | None = None
) -> dict[str, Any]:
    return {
        "number": number,
        "version": version,
        "kind": kind,
        "version_kind": version_kind,
        "delivery_id": delivery_id,
        "deadline": deadline,
    }
