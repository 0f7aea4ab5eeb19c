"""The audit record of API.md "Staff: search, approvals, audit": one per staff or admin write.

Immutable by construction (a frozen value; the store only ever puts it, conditioned
on its key not existing). It never holds a 認証キー or a password: `reason` is
free text a person typed, and the other fields are identifiers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from chalicelib.domain import clock

ACTIONS = frozenset(
    {
        "issue",
        "reject",
        "version",
        "fee_payment",
        "fee_waiver",
        "approval_requested",
        "approval_approved",
        "approval_declined",
        "reservation_issue",
        "reservation_reject",
        "user_created",
        "user_disabled",
        "user_enabled",
        "user_updated",  # issue 29: an orderer user's department
        "mfa_reset",
        "org_created",
        "org_disabled",
        "orderer_created",
        "orderer_updated",
        "client_created",
        "client_revoked",
    }
)
TARGET_KINDS = frozenset({"application", "reservation", "guarantee", "approval", "user", "org", "orderer", "client"})
MAX_NUMBERS = 3
#: The scope of records written by admins; staff records are scoped by their branch.
ADMIN_SCOPE = "hq"


@dataclass(frozen=True)
class AuditEntry:
    actor: str  # the login
    action: str
    target: str  # "<kind>:<id>"
    scope: str  # the branch whose staff may read it, or "hq" for admin writes
    numbers: tuple[str, ...] = ()
    reason: str | None = None
    at: str = field(default_factory=clock.iso_now)
    record_id: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown audit action {self.action!r}")
        kind, sep, ident = self.target.partition(":")
        if not sep or kind not in TARGET_KINDS or not ident:
            raise ValueError(f"bad audit target {self.target!r}")
        if len(self.numbers) > MAX_NUMBERS:
            raise ValueError("an audit record names at most three numbers")

    @property
    def sort_key(self) -> str:
        """Newest first in a descending Query: the time, then a tie-breaker."""
        return f"{self.at}#{self.record_id}"

    def public(self) -> dict[str, object]:
        return {
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "numbers": list(self.numbers),
            "reason": self.reason,
        }
