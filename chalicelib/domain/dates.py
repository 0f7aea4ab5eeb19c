"""The window of dates people may enter (issue 15: 0001-01-01 and 9999-12-31 were issued).

One home for the bounds so the application form, a 変更 and the staff form agree.
"""

from __future__ import annotations

import datetime as dt

#: 工期 longer than this is not a construction contract anyone guarantees; it is a typo
#: (or 9999-12-31). Every date people enter also lies within [EARLIEST, LATEST].
MAX_PERIOD_YEARS = 10
EARLIEST_DATE = dt.date(1989, 1, 8)  # 平成元年: nothing older is a live contract
LATEST_DATE = dt.date(2099, 12, 31)
PERIOD_TOO_LONG = f"工期は{MAX_PERIOD_YEARS}年以内にしてください。"
#: A 契約保証予約 stays valid until this many days after the bid date (API.md). Here, not in
#: domain/fees.py (which re-exports it), so the reservation rules need not import the fee tables.
RESERVATION_VALID_DAYS = 90
DATE_OUT_OF_RANGE = "日付は平成元年(1989年)1月8日から2099年12月31日までの範囲で入力してください。"


def period_too_long(start: dt.date, end: dt.date) -> bool:
    try:
        return end > start.replace(year=start.year + MAX_PERIOD_YEARS)
    except ValueError:  # 29 February
        return end > start.replace(year=start.year + MAX_PERIOD_YEARS, day=28)


def date_in_range(value: dt.date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE
