"""The check of a certificate against the orderer's contract record, and routing (domain/deliveries.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain import deliveries as rules
from chalicelib.domain.errors import ValidationFailed

CERT = {
    "kind": "advance_payment",
    "orderer_id": "08216",
    "contract_amount": 50_000_000,
    "guarantee_amount": 20_000_000,
    "deadline": "2027-11-15",
}
TERMS = rules.Terms("08216")


def _codes(cert=None, record=None, terms=TERMS) -> list[str]:
    return [f["code"] for f in rules.check({**CERT, **(cert or {})}, record or {}, terms)["findings"]]


def test_a_matching_record_is_ok():
    assert rules.check(CERT, {"contract_amount": 50_000_000, "period_end": "2027-11-15"}, TERMS) == {
        "ok": True,
        "findings": [],
    }


@pytest.mark.parametrize(("period_end", "codes"), [("2027-11-15", []), ("2027-11-16", ["period_end_after_deadline"])])
def test_the_deadline_must_cover_the_records_completion_date(period_end, codes):
    assert _codes(record={"period_end": period_end}) == codes


def test_the_ratios_use_the_records_amount_when_given():
    assert _codes(record={"contract_amount": 49_999_999}) == ["contract_amount_mismatch", "advance_ratio"]
    assert _codes(cert={"guarantee_amount": 20_000_001}) == ["advance_ratio"]
    assert _codes(cert={"intermediate_amount": 10_000_001}) == ["intermediate_ratio"]


@pytest.mark.parametrize(
    ("amount", "low_bid", "codes"),
    [
        (5_000_000, False, []),
        (4_999_999, False, ["contract_guarantee_ratio"]),
        (14_999_999, True, ["contract_guarantee_ratio"]),
    ],
)
def test_the_contract_guarantee_floor(amount, low_bid, codes):
    cert = {"kind": "contract_guarantee", "guarantee_amount": amount}
    assert _codes(cert=cert, terms=rules.Terms("08216", low_bid=low_bid)) == codes


def test_another_orderer_is_a_finding():
    assert _codes(cert={"orderer_id": "08201"}) == ["orderer_mismatch"]


def test_routing_defaults_to_main_and_refuses_an_unknown_department():
    assert rules.full_routing({"advance_payment": "doboku"}) == {
        "advance_payment": "doboku",
        "contract_guarantee": "main",
        "contract_reservation": "main",
    }
    with pytest.raises(ValidationFailed) as exc:
        rules.check_routing({"contract_guarantee": "nosuch"}, {"main", "doboku"})
    assert [e.field for e in exc.value.errors] == ["contract_guarantee"]
    assert rules.delivery_id("30026-000001M", "doboku") == rules.delivery_id("30026-000001M", "doboku")
    assert rules.delivery_id("30026-000001M", "doboku") != rules.delivery_id("30026-000001M", "keiyaku")


def test_what_changed_lists_each_changed_field_before_and_after():
    after = {**CERT, "guarantee_amount": 15_000_000, "deadline": "2028-01-31"}
    assert rules.what_changed(CERT, after) == "保証金額: 20,000,000円 → 15,000,000円\n保証期限: 2027-11-15 → 2028-01-31"
    assert rules.what_changed(CERT, dict(CERT)) == "" and rules.what_changed(None, CERT) == ""


def test_a_deliverys_history_says_who_did_what_when_and_keeps_the_newest():
    once = rules.noted((), "delivered", at="2026-12-01T00:00:00Z", by="demo-contractor", version=1)
    twice = rules.noted(once, "returned", at="2026-12-02T00:00:00Z", by="kasama-doboku", version=1, reason="金額")
    thrice = rules.noted(twice, "followed", at="2026-12-03T00:00:00Z", by=None, version=2, event="change")
    assert thrice == (
        {"at": "2026-12-01T00:00:00Z", "by": "demo-contractor", "action": "delivered", "version": 1},
        {"at": "2026-12-02T00:00:00Z", "by": "kasama-doboku", "action": "returned", "version": 1, "reason": "金額"},
        {"at": "2026-12-03T00:00:00Z", "by": None, "action": "followed", "version": 2, "event": "change"},
    )
    long = thrice
    for i in range(rules.HISTORY_KEPT):
        long = rules.noted(long, "received", at=f"2027-{i:04d}", by="x", version=2)
    assert len(long) == rules.HISTORY_KEPT and long[0]["at"] == "2027-0000"
    with pytest.raises(ValueError):
        rules.noted((), "deleted", at="t", by="x", version=1)
