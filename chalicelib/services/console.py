"""The console's confirmed writes (issue 27): every staff write that issues, records money, waives,
rejects or approves first shows a confirmation page, and only the post of that page writes.

The confirmation page carries a token signed with the stage's secret over the clerk's session,
the route it confirms and the values it carries (`new_token`): a single post — even one that
claims `confirmed=1` with a made-up token — writes nothing, and a confirmed form whose values
were altered is shown for confirmation again. The write then runs once per token
(services/idempotency.py): a reload or a double submit of the confirmed form gets the first
answer (the page to go to) and repeats nothing. A token is good for `TOKEN_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping

from chalicelib import settings
from chalicelib.domain import constant_time
from chalicelib.domain.principal import Principal
from chalicelib.services import idempotency

TOKEN_SECONDS = 30 * 60


def _mac(principal: Principal, route: str, values: Mapping[str, str], stamp: str, nonce: str) -> str:
    fp = idempotency.fingerprint({"route": route, "values": dict(values)})
    message = f"staff-confirm|{principal.session_id}|{principal.login}|{fp}|{stamp}|{nonce}"
    return hmac.new(settings.signing_secret(), message.encode(), hashlib.sha256).hexdigest()


def new_token(principal: Principal, route: str, values: Mapping[str, str]) -> str:
    """The token a confirmation form carries: unguessable, bound to who, where and what."""
    stamp, nonce = str(int(time.time())), secrets.token_urlsafe(12)
    return f"{stamp}.{nonce}.{_mac(principal, route, values, stamp, nonce)}"


def token_valid(principal: Principal, route: str, values: Mapping[str, str], token: str | None) -> bool:
    """Whether `token` came from this clerk's confirmation page of this route with these values."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isascii() or not parts[0].isdigit():
        return False
    stamp, nonce, mac = parts
    if not 0 <= time.time() - int(stamp) <= TOKEN_SECONDS:
        return False
    return constant_time.equal(mac, _mac(principal, route, values, stamp, nonce))


def once(principal: Principal, token: str, route: str, write: Callable[[], str]) -> str:
    """Run a confirmed write once per token; every repeat answers the first result (a page to go to).
    A write that raises leaves the token unused (idempotency releases it), so the form can be sent again."""
    fp = idempotency.fingerprint({"route": route})
    _status, out = idempotency.run_once(
        f"staff-form#{principal.login}",
        idempotency.check_key(token) or "",
        fp,
        lambda: (303, {"location": write()}),
    )
    return str(out["location"])
