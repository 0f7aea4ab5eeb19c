"""決裁 (four-eyes) requests of API.md "Staff: search, approvals, audit".

A cancellation and a key reissue do not take effect when a clerk asks: they
become a pending request that ANOTHER staff user of the same branch approves
(then the action runs) or declines. The rules live here so that they read the
same wherever they are enforced: who may approve, what states follow which.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from chalicelib.domain import clock

ACTIONS = ("cancellation", "reissue_key")
STATUSES = ("pending", "approved", "declined")


@dataclass(frozen=True)
class Approval:
    number: str
    action: str  # cancellation | reissue_key
    branch_id: str
    requested_by: str  # the requester's login
    reason: str
    status: str = "pending"
    requested_at: str = field(default_factory=clock.iso_now)
    approval_id: str = field(default_factory=lambda: secrets.token_hex(10))
    decided_by: str | None = None
    decided_at: str | None = None
    decline_reason: str | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown approval action {self.action!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown approval status {self.status!r}")

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    def may_be_approved_by(self, login: str) -> bool:
        """The second pair of eyes must be a different person from the one who asked."""
        return login != self.requested_by

    def public(self) -> dict[str, object]:
        return {
            "approval_id": self.approval_id,
            "status": self.status,
            "action": self.action,
            "number": self.number,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "decline_reason": self.decline_reason,
        }
