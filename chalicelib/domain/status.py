"""What a guarantee verifies as: cancelled beats everything, then the 保証期限."""

from __future__ import annotations

import datetime as dt


def effective_status(stored: str, deadline: str, today: dt.date) -> str:
    """valid | cancelled | expired | used. A cancelled guarantee is cancelled whatever its date;
    a converted 契約保証予約 is `used` whatever its date (never valid again); any other is
    expired from the day after its 保証期限."""
    if stored in ("cancelled", "used"):
        return stored
    if dt.date.fromisoformat(deadline) < today:
        return "expired"
    return "valid"
