"""The amount and date rules of DESIGN.md §1 for one guarantee, and what issuing checks again.

`check_guarantee` is used at issuance and at every 変更. The ratio limits
themselves are those of the application rules
(`domain.application.amount_rule_errors`), so submission, issuance and 変更
check one and the same rule; this adds the per-guarantee framing (one amount,
the field names a caller reports, the period checks). `check_issuable` is the
whole issue-time check of a submitted application (the rules as they stand
today, with the orderer's record as it stands today); the clerk's review shows
the same errors before the clerk issues.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.domain import dates, orderers
from chalicelib.domain.application import amount_rule_errors
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.orderers import DEFAULT_ORDERER, Orderer

#: The guarantees an application may ask for, in the order they are numbered.
KINDS = ("advance_payment", "contract_guarantee")
#: Issuing an electronic guarantee for an orderer that does not (or no longer) accepts one.
NOT_E_SURETY = "この発注者は電子保証に対応していません。"


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
      type (orderers.Orderer), defaulting to 4 (construction) or 3 (design_survey).
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
        tenths = advance_tenths if advance_tenths is not None else DEFAULT_ORDERER.advance_tenths(contract_type)
        terms = replace(DEFAULT_ORDERER, advance_rate_construction=tenths, advance_rate_design_survey=tenths)
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


def electronic_refused(field: str, orderer: Orderer | None) -> FieldError | None:
    """At issue time: an electronic guarantee (or 契約保証予約) for an orderer that offers none."""
    return None if orderers.offers_e_surety(orderer) else FieldError(field, NOT_E_SURETY)


def check_issuable(form: dict[str, Any], orderer: Orderer | None, today: dt.date) -> None:
    """ValidationFailed (one error per field, the first found) unless every guarantee the
    submitted application asks for may be issued today for this orderer."""
    project = form["project"]
    contract_type = project.get("contract_type", "construction")
    errors: list[FieldError] = []
    for kind in KINDS:
        section = form.get(kind)
        if not section:
            continue
        errors += check_guarantee(
            kind,
            guarantee_amount=int(section["amount"]),
            contract_amount=int(project["contract_amount"]),
            period_start=project["period_start"],
            period_end=project["period_end"],
            today=today,
            contract_type=contract_type,
            advance_tenths=orderers.advance_tenths(orderer, contract_type),
            low_bid=bool(section.get("low_bid")),
            fields={
                "guarantee_amount": f"{kind}.amount",
                "contract_amount": "project.contract_amount",
                "period_start": "project.period_start",
                "period_end": "project.period_end",
            },
        )
        refused = electronic_refused(f"{kind}.form", orderer) if section.get("form") == "electronic" else None
        errors += [refused] if refused else []
    if not any(form.get(k) for k in KINDS):
        errors.append(FieldError("", "前払金保証・契約保証のいずれも申し込まれていません。"))
    if errors:
        seen: dict[str, FieldError] = {}
        for e in errors:
            seen.setdefault(e.field, e)
        raise ValidationFailed(list(seen.values()))
