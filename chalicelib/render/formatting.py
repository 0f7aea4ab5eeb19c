"""Formatting for people: yen with separators, era dates."""

from __future__ import annotations

from chalicelib.domain.era import era_date, era_datetime


def yen(amount: int | None) -> str:
    """20000000 → 20,000,000円"""
    return "" if amount is None else f"{int(amount):,}円"


def thousand_yen(amount_k: int | None) -> str:
    return "" if amount_k is None else f"{int(amount_k):,}千円"


FILTERS = {"yen": yen, "thousand_yen": thousand_yen, "era": era_date, "era_dt": era_datetime}
