"""domain/era.py: 和暦 dates (the era boundaries, 元年) and date-times."""

from __future__ import annotations

import pytest

from chalicelib.domain.era import era_date, era_datetime


@pytest.mark.parametrize(
    ("iso", "shown"),
    [
        ("2023-10-30", "令和5年10月30日"),
        ("2019-05-01", "令和元年5月1日"),
        ("2019-04-30", "平成31年4月30日"),
        ("1989-01-08", "平成元年1月8日"),
        ("1989-01-07", "昭和64年1月7日"),
        ("2027-11-15", "令和9年11月15日"),
    ],
)
def test_era_dates(iso, shown):
    assert era_date(iso) == shown


def test_era_datetime_keeps_the_clock_time():
    assert era_datetime("2023-10-31T13:15:00+09:00") == "令和5年10月31日 13:15"
