"""A 発注者 as the rules read it: its 電子保証 support and its 前払金 rates.

Beside the rules that read it (domain/application/, domain/limits.py,
domain/reservation.py), not in domain/records/: those rules' tables load with
`import app`, and the records there load only with the services that use them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Orderer:
    """A 発注者 of the reference list: what the store keeps and what the application, reservation,
    issuance and 変更 rules read (its 電子保証 support and rates). Rates are tenths of 請負金額
    (DESIGN.md §1); these defaults are the only ones (a stored row without a rate reads as them).
    """

    orderer_id: str
    name: str
    e_surety: bool = False
    advance_rate_construction: int = 4
    advance_rate_design_survey: int = 3
    intermediate_rate: int = 2
    total_advance_rate: int = 6

    def advance_tenths(self, contract_type: str) -> int:
        """The 前払金 ceiling that applies to this kind of contract."""
        if contract_type == "design_survey":
            return self.advance_rate_design_survey
        return self.advance_rate_construction


#: An orderer of which nothing is known but the default rates: what the rules apply for an
#: unknown orderer (whose own error is reported separately).
DEFAULT_ORDERER = Orderer("", "")


def advance_tenths(orderer: Orderer | None, contract_type: str) -> int | None:
    """The orderer's ceiling, or None (the rules' default) when the orderer is unknown."""
    return orderer.advance_tenths(contract_type) if orderer is not None else None


def offers_e_surety(orderer: Orderer | None) -> bool:
    """May a guarantee for this orderer be electronic (電子保証対応の発注者)? Never for an unknown one."""
    return orderer is not None and orderer.e_surety
