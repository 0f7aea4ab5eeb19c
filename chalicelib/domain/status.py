"""What a guarantee verifies as: cancelled beats everything, then the 保証期限."""

from __future__ import annotations

import datetime as dt


def effective_status(stored: str, deadline: str, today: dt.date) -> str:
    """valid | cancelled | expired. A cancelled guarantee is cancelled whatever its date;
    an uncancelled one is expired from the day after its 保証期限."""
    if stored == "cancelled":
        return "cancelled"
    if dt.date.fromisoformat(deadline) < today:
        return "expired"
    return "valid"
