"""domain/limits.py: the amount and period limits a guarantee is checked against at issue and on every change."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain import limits

TODAY = dt.date(2026, 11, 1)


def check(kind, amount, contract=50_000_000, **kw):
    args = dict(
        guarantee_amount=amount,
        contract_amount=contract,
        period_start="2026-12-01",
        period_end="2027-11-15",
        today=TODAY,
    )
    args.update(kw)
    return limits.check_guarantee(kind, **args)


def test_advance_limit_four_tenths_and_orderer_rate():
    assert check("advance_payment", 20_000_000) == []
    errs = check("advance_payment", 20_000_001)
    assert [e.field for e in errs] == ["guarantee_amount"] and "4/10" in errs[0].message
    assert check("advance_payment", 15_000_001, contract_type="design_survey")[0].field == "guarantee_amount"
    assert check("advance_payment", 15_000_000, contract_type="design_survey") == []
    assert check("advance_payment", 25_000_000, advance_tenths=5) == []


def test_contract_guarantee_minimums():
    assert check("contract_guarantee", 5_000_000) == []
    assert check("contract_guarantee", 4_999_999)[0].field == "guarantee_amount"
    assert check("contract_guarantee", 5_000_000, low_bid=True)[0].field == "guarantee_amount"
    assert check("contract_guarantee", 15_000_000, low_bid=True) == []


def test_period_rules_and_field_names():
    errs = check(
        "advance_payment",
        1,
        period_start="2026-01-01",
        period_end="2026-10-31",
        fields={"period_end": "changes.period_end"},
    )
    assert [e.field for e in errs] == ["changes.period_end"] and "過去" in errs[0].message
    assert check("advance_payment", 1, period_start="2026-01-01", period_end="2026-10-31", today=None) == []
    assert check("advance_payment", 1, period_start="2028-01-01")[0].message.startswith("工期末は工期始")


#: How services/versions.py names a limit's fields for a version (the body's `changes`).
CHANGE_FIELDS = {k: f"changes.{k}" for k in ("guarantee_amount", "contract_amount", "period_end")} | {
    "period_start": "changes.period_end"
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"guarantee_amount": 20000001}, "changes.guarantee_amount"),
        ({"contract_amount": 40000000}, "changes.guarantee_amount"),
        ({"period_end": "2020-01-01"}, "changes.period_end"),
    ],
)
def test_a_change_breaking_a_limit_names_the_changed_field(changes, field):
    """A 変更 of the factory's 前払金保証 (20,000,000 of 50,000,000, 2026-12-01 – 2027-11-15)."""
    details = {
        "guarantee_amount": 20_000_000,
        "contract_amount": 50_000_000,
        "period_start": "2026-12-01",
        "period_end": "2027-11-15",
        **changes,
    }
    errors = check(
        "advance_payment",
        details["guarantee_amount"],
        details["contract_amount"],
        period_start=details["period_start"],
        period_end=details["period_end"],
        today=TODAY if "period_end" in changes else None,
        fields=CHANGE_FIELDS,
    )
    assert field in [e.field for e in errors]
