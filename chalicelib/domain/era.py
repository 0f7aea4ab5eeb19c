"""Japanese era (和暦) dates: every date shown to a person uses them (DESIGN.md §1)."""

from __future__ import annotations

import datetime as dt

# (first day, name); newest first. Dates before Meiji 6 are not needed here.
_ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1873, 1, 1), "明治"),
)


def era_date(value: dt.date | str) -> str:
    """2023-10-30 → 令和5年10月30日 (元年 for the first year)."""
    day = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    for start, name in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            label = "元" if year == 1 else str(year)
            return f"{name}{label}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def era_datetime(value: dt.datetime | str) -> str:
    """An ISO time → 令和5年10月31日 13:15 (in the time's own offset, JST here)."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{era_date(moment.date())} {moment:%H:%M}"
