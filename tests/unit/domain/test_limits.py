"""domain/limits.py: the amount and period limits a guarantee is checked against at issue and on every change."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain import limits
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.orderers import Orderer

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


# ---------------------------------------------------------------- check_issuable: what issuing checks again

ISSUE_DAY = dt.date(2026, 11, 24)
KASAMA = Orderer("08216", "笠間市長", e_surety=True)
VILLAGE = Orderer("08999", "〇〇村長", e_surety=False)


def form(advance=None, contract=None, **project):
    return {
        "project": {
            "contract_amount": 50_000_000,
            "period_start": "2026-12-01",
            "period_end": "2027-11-15",
            "contract_type": "construction",
            **project,
        },
        "advance_payment": advance,
        "contract_guarantee": contract,
    }


def errors(f, orderer=KASAMA):
    with pytest.raises(ValidationFailed) as caught:
        limits.check_issuable(f, orderer, ISSUE_DAY)
    return [(e.field, e.message) for e in caught.value.errors]


def test_an_application_within_every_rule_may_be_issued():
    f = form({"amount": 20_000_000, "form": "electronic"}, {"amount": 5_000_000, "form": "paper"})
    assert limits.check_issuable(f, KASAMA, ISSUE_DAY) is None


def test_each_guarantee_is_checked_with_its_own_field_names():
    f = form({"amount": 20_000_001, "form": "paper"}, {"amount": 4_999_999, "form": "paper"})
    assert [field for field, _ in errors(f)] == ["advance_payment.amount", "contract_guarantee.amount"]


def test_the_orderers_rate_of_today_applies():
    f = form({"amount": 25_000_000, "form": "paper"})
    assert errors(f)[0][0] == "advance_payment.amount"  # 4/10 by default
    generous = Orderer("08216", "笠間市長", e_surety=True, advance_rate_construction=5)
    assert limits.check_issuable(f, generous, ISSUE_DAY) is None


def test_electronic_only_for_an_orderer_that_offers_it():
    f = form(None, {"amount": 5_000_000, "form": "electronic"})
    assert errors(f, VILLAGE) == [("contract_guarantee.form", limits.NOT_E_SURETY)]
    assert errors(f, None)[0] == ("contract_guarantee.form", limits.NOT_E_SURETY)  # an orderer gone since
    assert limits.electronic_refused("form", KASAMA) is None
    assert limits.electronic_refused("form", VILLAGE).field == "form"


def test_a_period_already_over_is_refused_once_per_field():
    f = form({"amount": 1_000_000, "form": "paper"}, {"amount": 5_000_000, "form": "paper"}, period_end="2026-11-01")
    assert errors(f) == [("project.period_end", "工期末は工期始以降の日付にしてください。")]


def test_an_application_asking_for_nothing_is_refused():
    assert [field for field, _ in errors(form())] == [""]
