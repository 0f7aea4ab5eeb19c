"""domain/limits.py `check_issuable`: what issuing checks again, as a plain function.

(`check_guarantee`, the per-guarantee rule it builds on, is tested in test_certificate_content.py.)
"""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain import limits
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.records import Orderer

TODAY = dt.date(2026, 11, 24)
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
        limits.check_issuable(f, orderer, TODAY)
    return [(e.field, e.message) for e in caught.value.errors]


def test_an_application_within_every_rule_may_be_issued():
    f = form({"amount": 20_000_000, "form": "electronic"}, {"amount": 5_000_000, "form": "paper"})
    assert limits.check_issuable(f, KASAMA, TODAY) is None


def test_each_guarantee_is_checked_with_its_own_field_names():
    f = form({"amount": 20_000_001, "form": "paper"}, {"amount": 4_999_999, "form": "paper"})
    assert [field for field, _ in errors(f)] == ["advance_payment.amount", "contract_guarantee.amount"]


def test_the_orderers_rate_of_today_applies():
    f = form({"amount": 25_000_000, "form": "paper"})
    assert errors(f)[0][0] == "advance_payment.amount"  # 4/10 by default
    generous = Orderer("08216", "笠間市長", e_surety=True, advance_rate_construction=5)
    assert limits.check_issuable(f, generous, TODAY) is None


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
