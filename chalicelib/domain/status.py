"""What a guarantee verifies as: cancelled beats everything, then the 保証期限."""

from __future__ import annotations

import datetime as dt

#: What an application's 状態 filter accepts (the contractor's list and the clerks' queue).
APPLICATION_STATUSES = ("submitted", "issued", "rejected")
#: What the clerks' guarantee search filters by.
SEARCHABLE_GUARANTEE_STATUSES = ("valid", "cancelled", "expired")
#: What a 契約保証予約's 状態 filter accepts (`expired` is read from its date, never stored).
RESERVATION_STATUSES = ("submitted", "issued", "rejected", "used", "expired")


def effective_status(stored: str, deadline: str, today: dt.date) -> str:
    """valid | cancelled | expired | used. A cancelled guarantee is cancelled whatever its date;
    a converted 契約保証予約 is `used` whatever its date (never valid again); any other is
    expired from the day after its 保証期限."""
    if stored in ("cancelled", "used"):
        return stored
    if dt.date.fromisoformat(deadline) < today:
        return "expired"
    return "valid"
