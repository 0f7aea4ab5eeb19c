"""Time in JST: the business runs on Japanese dates (a 工期末 is a JST day)."""

from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def now() -> dt.datetime:
    return dt.datetime.now(JST)


def today() -> dt.date:
    return now().date()


def iso_now() -> str:
    """ISO 8601 with offset, microseconds kept so sort order follows time."""
    return now().isoformat()
