"""The amount and date rules of DESIGN.md §1 for one guarantee, as one pure function.

Used at issuance and at every 変更. The ratio limits themselves are those of
the application rules (`domain.application.amount_rule_errors`), so submission,
issuance and 変更 check one and the same rule; this adds the per-guarantee
framing (one amount, the field names a caller reports, the period checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from chalicelib.domain import dates
from chalicelib.domain.application import DEFAULT_TERMS, amount_rule_errors
from chalicelib.domain.errors import FieldError

#: Default 前払金 rates in tenths of 請負金額 by contract type; an orderer's record may differ.
DEFAULT_ADVANCE_TENTHS = {"construction": 4, "design_survey": 3}


def check_guarantee(
    kind: str,
    *,
    guarantee_amount: int,
    contract_amount: int,
    period_start: str,
    period_end: str,
    today: dt.date | None,
    contract_type: str = "construction",
    advance_tenths: int | None = None,
    low_bid: bool = False,
    fields: Mapping[str, str] | None = None,
) -> list[FieldError]:
    """Every rule the guarantee breaks, as field errors (empty list: all good).

    - 前払金保証 (kind advance_payment): guarantee_amount ≤ advance_tenths/10 of
      contract_amount; `advance_tenths` is the orderer's rate for the contract
      type (OrdererModel), defaulting to 4 (construction) or 3 (design_survey).
    - 契約保証 (contract_guarantee): guarantee_amount ≥ 1/10, or 3/10 when low_bid.
    - 工期始 ≤ 工期末; 工期末 not before `today` (pass today=None to skip this
      one, e.g. for a correction that does not touch the period).
    `fields` maps the logical names (guarantee_amount, contract_amount,
    period_start, period_end) to the field paths the caller reports.
    """
    names = {k: k for k in ("guarantee_amount", "contract_amount", "period_start", "period_end")}
    names.update(fields or {})
    if kind not in ("advance_payment", "contract_guarantee"):
        raise ValueError(f"unknown guarantee kind: {kind!r}")
    errors: list[FieldError] = []
    if contract_amount <= 0:
        errors.append(FieldError(names["contract_amount"], "請負金額は1円以上で入力してください。"))
    if guarantee_amount <= 0:
        errors.append(FieldError(names["guarantee_amount"], "保証金額は1円以上で入力してください。"))
    if contract_amount > 0 and guarantee_amount > 0:
        # The ratio rules have one home: the application rules (domain/application/amounts.py).
        tenths = advance_tenths if advance_tenths is not None else DEFAULT_ADVANCE_TENTHS.get(contract_type, 4)
        terms = replace(DEFAULT_TERMS, advance_rate_construction=tenths, advance_rate_design_survey=tenths)
        advance = kind == "advance_payment"
        broken = amount_rule_errors(
            contract_amount=contract_amount,
            contract_type=contract_type,
            terms=terms,
            advance_amount=guarantee_amount if advance else None,
            contract_guarantee_amount=None if advance else guarantee_amount,
            low_bid=low_bid,
        )
        errors += [FieldError(names["guarantee_amount"], e.message) for e in broken]
    start, end = dt.date.fromisoformat(period_start), dt.date.fromisoformat(period_end)
    if start > end:
        errors.append(FieldError(names["period_end"], "工期末は工期始以降の日付にしてください。"))
    elif dates.period_too_long(start, end):
        errors.append(FieldError(names["period_end"], dates.PERIOD_TOO_LONG))
    elif today is not None and end < today:
        errors.append(FieldError(names["period_end"], "工期末が過去の日付です。"))
    return errors
