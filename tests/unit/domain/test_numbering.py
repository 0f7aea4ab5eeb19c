"""保証契約番号: format, parse, fiscal year (April start)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from chalicelib.domain import numbering


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (dt.date(2026, 3, 31), "25"),
        (dt.date(2026, 4, 1), "26"),
        (dt.date(2026, 12, 31), "26"),
        (dt.date(2000, 1, 5), "99"),
    ],
)
def test_fiscal_year_starts_in_april(day, code):
    assert numbering.fiscal_year_code(day) == code


def test_format_and_parse_round_trip():
    n = numbering.format_number("300", "26", 42, "advance_payment")
    assert n == "30026-000042M"
    assert re.fullmatch(r"\d{5}-\d{6}[MK]", n)
    parsed = numbering.parse_number(n)
    assert (parsed.branch_code, parsed.fiscal_year, parsed.serial, parsed.kind) == ("300", "26", 42, "advance_payment")
    assert numbering.format_number("300", "26", 999999, "contract_guarantee") == "30026-999999K"


@pytest.mark.parametrize(
    "bad",
    ["", "30026-000042", "30026-000042X", "3002-6000042M", "30026-000000M", "30026-0000042M", "ab026-000042M", None],
)
def test_parse_rejects_malformed(bad):
    assert numbering.parse_number(bad) is None
    assert not numbering.is_valid(bad)


@pytest.mark.parametrize(
    ("args"),
    [
        ("30", "26", 1, "advance_payment"),
        ("300", "2026", 1, "advance_payment"),
        ("300", "26", 0, "advance_payment"),
        ("300", "26", 1_000_000, "advance_payment"),
        ("300", "26", 1, "bond"),
    ],
)
def test_format_refuses_bad_parts(args):
    with pytest.raises(ValueError):
        numbering.format_number(*args)


def test_counter_is_per_branch_and_year():
    assert numbering.counter_name("300", "26") != numbering.counter_name("300", "27")
    assert numbering.counter_name("300", "26") != numbering.counter_name("301", "26")
