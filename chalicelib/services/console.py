"""The console's confirmed writes: each confirmation form carries a one-time token, and the
write runs once per token (services/idempotency.py), so a reload or a double submit of the
confirmed form gets the first answer again and repeats nothing."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.domain.principal import Principal
from chalicelib.services import approvals, idempotency


def new_token() -> str:
    """The token a confirmation form carries (unguessable; one per rendering)."""
    return secrets.token_urlsafe(18)


def _scope(principal: Principal) -> str:
    return f"staff-form#{principal.login}"


def confirmed_version(
    principal: Principal, token: str, number: str, kind: str, changes: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """訂正/変更 (written) or 取消 (requested for 決裁), once per confirmation token."""
    fp = idempotency.fingerprint(
        {"op": "version", "number": number, "kind": kind, "changes": changes, "reason": reason}
    )
    _status, out = idempotency.run_once(
        _scope(principal),
        idempotency.check_key(token) or "",
        fp,
        lambda: approvals.version_or_request(principal, number, kind, changes, reason),
    )
    return out


def confirmed_request(principal: Principal, token: str, number: str, action: str, reason: str | None) -> dict[str, Any]:
    """A 決裁 request (key reissue), once per confirmation token."""
    fp = idempotency.fingerprint({"op": "request", "number": number, "action": action, "reason": reason})
    _status, out = idempotency.run_once(
        _scope(principal),
        idempotency.check_key(token) or "",
        fp,
        lambda: (202, approvals.request(principal, number, action, reason)),
    )
    return out
