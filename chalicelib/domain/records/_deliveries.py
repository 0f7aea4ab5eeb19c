"""Departments and the 提出 routed to them (store/departments.py, deliveries.py).

Imported by name from `chalicelib.domain.records`, which loads this module on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Department:
    """A department (課) of an orderer that deliveries are routed to; `main` (代表) always exists."""

    orderer_id: str
    department_id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A 提出: a guarantee handed to one department of its orderer, and where it stands (API.md).

    `event_at` is the time of the newest thing that put it (back) to `delivered` — the 提出, a new
    version, a key reissue: every decision is conditioned on it, so a decision made on what the
    clerk saw before a change cannot land after it."""

    delivery_id: str
    number: str
    orderer_id: str
    department_id: str
    contractor_org: str
    kind: str
    version: int
    latest_event: str  # new | correction | change | cancellation | key_reissued | expiring
    status: str  # delivered | received | returned
    delivered_at: str
    event_at: str
    orderer_reference: str | None = None
    message: str | None = None
    received_at: str | None = None
    received_by_login: str | None = None
    returned_reason: str | None = None
    check: dict[str, Any] | None = None
    seen: bool = False
    #: Who did what when (提出, 受領, 差戻し, a version followed), oldest first: the orderer's decisions
    #: are not staff/admin writes (API.md's audit trail), so the delivery keeps its own record of them.
    history: tuple[dict[str, Any], ...] = ()
