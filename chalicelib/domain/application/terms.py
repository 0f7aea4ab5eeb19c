"""What the application rules need from the orderer's record (発注者), as a pure value.

The service reads the record from the store and hands it in, so the rules never
touch the store and a later 変更 can pass the same terms again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrdererTerms:
    """What the rules need from an orderer's record. Rates are in tenths of 請負金額."""

    orderer_id: str
    name: str
    e_surety: bool
    advance_rate_construction: int = 4
    advance_rate_design_survey: int = 3
    intermediate_rate: int = 2
    total_advance_rate: int = 6

    def advance_rate(self, contract_type: str) -> int:
        return self.advance_rate_design_survey if contract_type == "design_survey" else self.advance_rate_construction


#: The rates of DESIGN.md §1, for an unknown orderer (its own error is reported separately).
DEFAULT_TERMS = OrdererTerms("", "", False)
