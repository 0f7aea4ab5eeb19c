"""Formatting for people: yen with separators, era dates, the short 申込番号."""

from __future__ import annotations

from chalicelib.domain.era import era_date, era_datetime


def yen(amount: int | None) -> str:
    """20000000 → 20,000,000円"""
    return "" if amount is None else f"{int(amount):,}円"


def thousand_yen(amount_k: int | None) -> str:
    return "" if amount_k is None else f"{int(amount_k):,}千円"


def era_of_input(value: str | None) -> str:
    """What a person typed as a date (`20231030`, `2023/10/30`, …) → 令和5年10月30日; "" if unreadable.

    The echo beside 落札日: without JavaScript it appears once the form comes back."""
    from chalicelib.domain.application import normalise_date

    day = normalise_date(value or "")
    return era_date(day) if day else ""


def application_number(application_id: str | None) -> str:
    """The 申込番号 people read and say on the phone: the id's first 8 characters, `3F9A-0C21`.

    Display only: links and the API keep the full id (ids stay stable)."""
    text = (application_id or "").upper()
    return f"{text[:4]}-{text[4:8]}" if len(text) >= 8 else text


FILTERS = {
    "yen": yen,
    "thousand_yen": thousand_yen,
    "era": era_date,
    "era_dt": era_datetime,
    "era_input": era_of_input,
    "app_no": application_number,
}
