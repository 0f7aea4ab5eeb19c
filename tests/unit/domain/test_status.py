"""domain/status.py: the status a guarantee shows (a valid one past its deadline reads expired)."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.status import effective_status


@pytest.mark.parametrize(
    ("stored", "deadline", "today", "expected"),
    [
        ("valid", "2027-11-15", dt.date(2027, 11, 15), "valid"),
        ("valid", "2027-11-15", dt.date(2027, 11, 16), "expired"),
        ("cancelled", "2099-01-01", dt.date(2027, 1, 1), "cancelled"),
        ("cancelled", "2000-01-01", dt.date(2027, 1, 1), "cancelled"),
    ],
)
def test_effective_status(stored, deadline, today, expected):
    assert effective_status(stored, deadline, today) == expected
