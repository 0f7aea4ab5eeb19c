"""保証期限 reminders (API.md "Reminders"): which reminder, if any, a guarantee is owed on a day.

Pure: the day and the guarantee's facts are handed in. At most 30 days away → the 30-day
reminder; at most 7 days away → the 7-day one (only the nearer when both are due: a skipped
30-day reminder is not owed later). The key names the 保証期限, so a 変更 that moves it re-arms
both thresholds, and a retry of the same reminder finds the same key.
"""

from __future__ import annotations

import datetime as dt

THRESHOLDS = (7, 30)
#: How far ahead the daily job looks: the widest threshold.
HORIZON_DAYS = max(THRESHOLDS)


def threshold(deadline: dt.date, today: dt.date) -> int | None:
    """The nearest threshold the 保証期限 is within, or None (too far away, or already past)."""
    days = (deadline - today).days
    if days < 0:
        return None
    return next((t for t in THRESHOLDS if days <= t), None)


def wanted(kind: str, status: str) -> bool:
    """A valid guarantee, 契約保証予約 excluded (paper ones too: the contractor is mailed)."""
    return status == "valid" and kind != "contract_reservation"


def key(number: str, deadline: str, days: int) -> str:
    """Once per guarantee, 保証期限 and threshold (the claim's key; the webhook event's occurrence)."""
    return f"reminder#{number}#{deadline}#{days}"


def days_ahead(today: dt.date) -> list[dt.date]:
    """The 保証期限 days the job reads: today through HORIZON_DAYS ahead."""
    return [today + dt.timedelta(days=n) for n in range(HORIZON_DAYS + 1)]
