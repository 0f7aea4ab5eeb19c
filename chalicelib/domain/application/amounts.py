"""The amount limits of DESIGN.md §1 in integer arithmetic (no float rounding at the boundary).

One home for the ratios: the application rules call it at submission, and
`domain.limits.check_guarantee` at issuance and at every 変更. Rates come from
the orderer's record (`orderers.Orderer`), in tenths of 請負金額.
"""

from __future__ import annotations

from chalicelib.domain import labels
from chalicelib.domain.errors import FieldError
from chalicelib.domain.orderers import Orderer


def amount_rule_errors(
    *,
    contract_amount: int | None,
    contract_type: str,
    terms: Orderer,
    advance_amount: int | None = None,
    intermediate_amount: int | None = None,
    contract_guarantee_amount: int | None = None,
    low_bid: bool = False,
    prefix_advance: str = "advance_payment",
    prefix_contract: str = "contract_guarantee",
) -> list[FieldError]:
    """Every limit the amounts break (empty list: all within limits).

    Reusable for a 変更: pass the new 請負金額 / 保証金額 and read the errors.
    - 前払金保証金額 ≤ rate/10 of 請負金額 (4 construction, 3 design_survey by default);
    - 中間前払金 ≤ intermediate_rate/10, and 前払金 + 中間前払金 ≤ total_advance_rate/10;
    - 契約保証金額 ≥ 1/10 of 請負金額 (3/10 when 低入札) and ≤ 請負金額.
    Amounts given as None are not checked; a missing 請負金額 skips every ratio.
    """
    if not isinstance(contract_amount, int) or contract_amount <= 0:
        return []
    errors: list[FieldError] = []
    if isinstance(advance_amount, int):
        errors += _advance_limit(contract_amount, contract_type, terms, advance_amount, prefix_advance)
    if isinstance(intermediate_amount, int):
        errors += _intermediate_limits(contract_amount, terms, advance_amount, intermediate_amount, prefix_advance)
    if isinstance(contract_guarantee_amount, int):
        errors += _contract_guarantee_limits(contract_amount, contract_guarantee_amount, low_bid, prefix_contract)
    return errors


def _advance_limit(
    contract_amount: int, contract_type: str, terms: Orderer, amount: int, prefix: str
) -> list[FieldError]:
    """前払金保証金額 ≤ the orderer's rate for the contract type."""
    rate = terms.advance_tenths(contract_type)
    if amount * 10 <= contract_amount * rate:
        return []
    limit = contract_amount * rate // 10
    label = labels.CONTRACT_TYPE["design_survey" if contract_type == "design_survey" else "construction"]
    message = f"前払金保証金額は請負金額の{rate}/10 ({limit:,}円) 以下にしてください ({label})。"
    return [FieldError(f"{prefix}.amount", message)]


def _intermediate_limits(
    contract_amount: int, terms: Orderer, advance_amount: int | None, amount: int, prefix: str
) -> list[FieldError]:
    """中間前払金 ≤ its own rate; then, with the 前払金, ≤ the total rate (one error at most)."""
    field = f"{prefix}.intermediate_amount"
    if amount * 10 > contract_amount * terms.intermediate_rate:
        limit = contract_amount * terms.intermediate_rate // 10
        return [
            FieldError(field, f"中間前払金は請負金額の{terms.intermediate_rate}/10 ({limit:,}円) 以下にしてください。")
        ]
    if isinstance(advance_amount, int) and (advance_amount + amount) * 10 > contract_amount * terms.total_advance_rate:
        limit = contract_amount * terms.total_advance_rate // 10
        rate = terms.total_advance_rate
        return [FieldError(field, f"前払金と中間前払金の合計は請負金額の{rate}/10 ({limit:,}円) 以下にしてください。")]
    return []


def _contract_guarantee_limits(contract_amount: int, amount: int, low_bid: bool, prefix: str) -> list[FieldError]:
    """契約保証金額 between 1/10 (3/10 for 低入札) of 請負金額 and 請負金額 itself."""
    field = f"{prefix}.amount"
    minimum_rate = 3 if low_bid else 1
    if amount * 10 < contract_amount * minimum_rate:
        floor = -(-contract_amount * minimum_rate // 10)
        why = "低入札の契約では" if low_bid else ""
        return [FieldError(field, f"{why}契約保証金額は請負金額の{minimum_rate}/10 ({floor:,}円) 以上にしてください。")]
    if amount > contract_amount:
        return [FieldError(field, "契約保証金額は請負金額以下にしてください。")]
    return []
