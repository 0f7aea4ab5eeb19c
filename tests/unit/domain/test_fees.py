"""issue 17: the pure 保証料 computation against the packaged (illustrative) rate table."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import fees
from chalicelib.store.fees import RATES_FILE

TABLE = fees.parse_table(json.loads(RATES_FILE.read_text(encoding="utf-8")))
DAYS = st.integers(min_value=1, max_value=3000)
AMOUNTS = st.integers(min_value=0, max_value=10**12)


def test_the_table_says_it_is_illustrative_and_states_its_rounding():
    raw = json.loads(RATES_FILE.read_text(encoding="utf-8"))
    assert "illustrative" in raw["provenance"].lower() and "ILLUSTRATIVE" in raw["_comment"]
    assert "切り捨て" in raw["rounding"]
    assert set(TABLE.products) == {"advance_payment", "contract_guarantee", "reservation"}


def test_a_worked_example_in_integer_yen():
    # 20,000,000円 前払金保証 for 350 days: 10,000,000 × 0.300% + 10,000,000 × 0.250% = 55,000円
    line = fees.compute(TABLE["advance_payment"], 20_000_000, 350)
    assert line.amount == 55_000 and isinstance(line.amount, int)
    assert [(s.portion, s.rate) for s in line.slices] == [(10_000_000, 300), (10_000_000, 250)]
    # a longer period costs the next tier's rates: 10,000,000 × 0.360% + 10,000,000 × 0.300%
    assert fees.compute(TABLE["advance_payment"], 20_000_000, 366).amount == 66_000


def test_rounding_cuts_below_the_unit():
    # 3,333,333円 × 0.300% = 9,999.999円 → 9,999 → 9,900 → below the minimum → 10,000
    assert fees.compute(TABLE["advance_payment"], 3_333_333, 30).computed == 9_900
    assert fees.compute(TABLE["advance_payment"], 3_333_333, 30).amount == 10_000
    # 5,555,555円 × 0.400% = 22,222.22円 → 22,222 → 22,200
    assert fees.compute(TABLE["contract_guarantee"], 5_555_555, 30).amount == 22_200


@pytest.mark.parametrize("product", fees.PRODUCTS)
def test_every_band_edge(product):
    """At each band's lower edge the fee is continuous and the slice rate switches to the new band's."""
    rates = TABLE[product]
    for tier_days in [t for t in rates.period_tiers_days if t is not None] + [10_000]:
        tier = fees.tier_index(rates, tier_days)
        for prev, band in zip(rates.bands, rates.bands[1:], strict=False):
            edge = band.lower
            below, at, above = (fees.compute(rates, edge + d, tier_days) for d in (-1, 0, 1))
            assert below.amount <= at.amount <= above.amount
            # exactly at the edge nothing is charged at the new band's rate yet; one yen more is
            assert at.slices[-1].rate == prev.rates[tier] and at.slices[-1].portion == edge - prev.lower
            assert above.slices[-1].rate == band.rates[tier] and above.slices[-1].portion == 1
            exact = sum(s.portion * s.rate for s in at.slices) // fees.RATE_DENOMINATOR
            assert at.computed == exact - exact % rates.rounding_unit
            assert at.amount == max(at.computed, rates.minimum_fee)


@pytest.mark.parametrize("product", fees.PRODUCTS)
def test_period_tier_edges(product):
    rates = TABLE[product]
    for limit in [t for t in rates.period_tiers_days if t is not None]:
        assert fees.tier_index(rates, limit) < fees.tier_index(rates, limit + 1)
        assert fees.compute(rates, 80_000_000, limit).amount <= fees.compute(rates, 80_000_000, limit + 1).amount


@given(product=st.sampled_from(fees.PRODUCTS), a=AMOUNTS, b=AMOUNTS, days=DAYS)
def test_fee_is_monotone_in_amount_and_never_below_the_minimum(product, a, b, days):
    rates = TABLE[product]
    low, high = sorted((a, b))
    fee_low, fee_high = fees.compute(rates, low, days), fees.compute(rates, high, days)
    assert rates.minimum_fee <= fee_low.amount <= fee_high.amount
    assert fee_low.amount % rates.rounding_unit == 0 or fee_low.amount == rates.minimum_fee


@given(product=st.sampled_from(fees.PRODUCTS), amount=AMOUNTS, d1=DAYS, d2=DAYS)
def test_fee_never_falls_with_a_longer_period(product, amount, d1, d2):
    short, long_ = sorted((d1, d2))
    assert fees.compute(TABLE[product], amount, short).amount <= fees.compute(TABLE[product], amount, long_).amount


def test_application_and_reservation_quotes():
    form = {
        "project": {"period_start": "2026-12-01", "period_end": "2027-11-15"},
        "advance_payment": {"amount": 20_000_000},
        "contract_guarantee": None,
    }
    q = fees.quote_application(TABLE, form)
    assert q.as_api() == {"advance_payment": 55_000, "contract_guarantee": None, "reservation": None, "total": 55_000}
    r = fees.quote_reservation(TABLE, {"bid_amount": 48_000_000})
    assert r.as_api() == {"advance_payment": None, "contract_guarantee": None, "reservation": 5_000, "total": 5_000}
    assert fees.quote_reservation(TABLE, {"bid_amount": 250_000_000}).total == 17_500


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p["bands"][0].update({"from": 1}),
        lambda p: p["bands"][-1].update({"to": 10**12}),
        lambda p: p["bands"][1].update({"from": p["bands"][0]["to"] + 1}),
        lambda p: p["bands"][0].update({"rates": [-1, 1, 2]}),
        lambda p: p["bands"][0].update({"rates": [400, 300, 200]}),
        lambda p: p.update({"period_tiers_days": [365, 730, 1000]}),
        lambda p: p.update({"minimum_fee": -5}),
    ],
)
def test_a_bad_table_is_refused_at_load(mutate):
    raw = json.loads(RATES_FILE.read_text(encoding="utf-8"))
    mutate(raw["products"][0])
    with pytest.raises(fees.RateTableError):
        fees.parse_table(raw)
