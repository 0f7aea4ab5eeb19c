"""The amount and date rules of DESIGN.md §1 for one guarantee, as one pure function.

Used at issuance and at every 変更 (issue 4); written so the submission checks
(issue 3) can be folded into the same function later. Amount comparisons are
done in integers (amount × 10 against 請負金額 × rate in tenths), never floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from chalicelib.domain.errors import FieldError

#: Default 前払金 rates in tenths of 請負金額 by contract type; an orderer's record may differ.
DEFAULT_ADVANCE_TENTHS = {"construction": 4, "design_survey": 3}
CONTRACT_MIN_TENTHS = 1
CONTRACT_MIN_TENTHS_LOW_BID = 3


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
    errors: list[FieldError] = []
    if contract_amount <= 0:
        errors.append(FieldError(names["contract_amount"], "請負金額は1円以上で入力してください。"))
    if guarantee_amount <= 0:
        errors.append(FieldError(names["guarantee_amount"], "保証金額は1円以上で入力してください。"))
    if contract_amount > 0 and guarantee_amount > 0:
        if kind == "advance_payment":
            tenths = advance_tenths if advance_tenths is not None else DEFAULT_ADVANCE_TENTHS.get(contract_type, 4)
            if guarantee_amount * 10 > contract_amount * tenths:
                limit = contract_amount * tenths // 10
                errors.append(
                    FieldError(
                        names["guarantee_amount"],
                        f"前払金保証金額は請負金額の{tenths}/10 ({limit:,}円) 以下にしてください。",
                    )
                )
        elif kind == "contract_guarantee":
            tenths = CONTRACT_MIN_TENTHS_LOW_BID if low_bid else CONTRACT_MIN_TENTHS
            if guarantee_amount * 10 < contract_amount * tenths:
                minimum = -(-contract_amount * tenths // 10)
                errors.append(
                    FieldError(
                        names["guarantee_amount"],
                        f"契約保証金額は請負金額の{tenths}/10 ({minimum:,}円) 以上にしてください。",
                    )
                )
        else:
            raise ValueError(f"unknown guarantee kind: {kind!r}")
    start, end = dt.date.fromisoformat(period_start), dt.date.fromisoformat(period_end)
    if start > end:
        errors.append(FieldError(names["period_end"], "工期末は工期始以降の日付にしてください。"))
    elif today is not None and end < today:
        errors.append(FieldError(names["period_end"], "工期末が過去の日付です。"))
    return errors
