"""保証契約番号 (guarantee contract number): `NNNNN-NNNNNNL`, DESIGN.md §1.

The five digits before the hyphen are the 3-digit branch code and a 2-digit
fiscal year; then a 6-digit serial (unique per branch and fiscal year, drawn
from an atomic counter: gaps are allowed, duplicates never) and a letter for
the product: M 前払金保証, K 契約保証, Y 契約保証予約 (one serial sequence for all three).

Fiscal year: the Japanese fiscal year (年度) starts on 1 April, so 2027-03-31
belongs to fiscal 2026 and 2027-04-01 to fiscal 2027. The two digits are the
last two digits of the fiscal year's *Western* year (2026年度 → "26"), not the
era year: the era changes mid-year (令和 began 2019-05-01) and would make two
different codes for one fiscal year, while the Western year never does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PRODUCT_LETTERS: dict[str, str] = {"advance_payment": "M", "contract_guarantee": "K", "contract_reservation": "Y"}
KINDS_BY_LETTER: dict[str, str] = {v: k for k, v in PRODUCT_LETTERS.items()}
MAX_SERIAL = 999_999

PATTERN = re.compile(r"^(\d{3})(\d{2})-(\d{6})([MKY])$")


@dataclass(frozen=True)
class GuaranteeNumber:
    branch_code: str
    fiscal_year: str  # two digits
    serial: int
    kind: str  # advance_payment | contract_guarantee | contract_reservation

    def __str__(self) -> str:
        return f"{self.branch_code}{self.fiscal_year}-{self.serial:06d}{PRODUCT_LETTERS[self.kind]}"


def fiscal_year(day: dt.date) -> int:
    """The Western year in which the fiscal year containing `day` began (1 April)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_code(day: dt.date) -> str:
    return f"{fiscal_year(day) % 100:02d}"


def counter_name(branch_code: str, fy_code: str) -> str:
    """One serial sequence per branch and fiscal year."""
    return f"guarantee-serial#{branch_code}#{fy_code}"


def format_number(branch_code: str, fy_code: str, serial: int, kind: str) -> str:
    """Build a number; refuse anything that would not parse back to the same parts."""
    if not re.fullmatch(r"\d{3}", branch_code):
        raise ValueError(f"branch code must be 3 digits: {branch_code!r}")
    if not re.fullmatch(r"\d{2}", fy_code):
        raise ValueError(f"fiscal year code must be 2 digits: {fy_code!r}")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial out of range: {serial}")
    if kind not in PRODUCT_LETTERS:
        raise ValueError(f"unknown guarantee kind: {kind!r}")
    return str(GuaranteeNumber(branch_code, fy_code, serial, kind))


def parse_number(text: str) -> GuaranteeNumber | None:
    """The parts of a well-formed number, or None (never an exception: input is untrusted)."""
    m = PATTERN.match(text or "")
    if not m:
        return None
    serial = int(m.group(3))
    if serial < 1:
        return None
    return GuaranteeNumber(m.group(1), m.group(2), serial, KINDS_BY_LETTER[m.group(4)])


def is_valid(text: str) -> bool:
    return parse_number(text) is not None
