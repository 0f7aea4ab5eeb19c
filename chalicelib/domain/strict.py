"""Strict reading of what people type: whole numbers and text that can be stored.

`str.isdigit()` and `int()` accept far more than a person means by a number —
superscripts (²), circled digits (①), other scripts' digits, and strings of
thousands of digits that make `int()` raise (Python's 4,300-digit guard is
process-wide, so it is not the bound to rely on). Here a number is ASCII
digits only, after full-width digits (what a Japanese IME types) are turned
into ASCII, bounded in length BEFORE it is converted.
"""

from __future__ import annotations

import re
from typing import Any

_FULL_WIDTH = str.maketrans("０１２３４５６７８９，", "0123456789,")
_DIGITS = re.compile(r"[0-9]+")


def whole_number(raw: str, *, max_digits: int = 15) -> int | None:
    """A non-negative integer from typed text (full-width digits and thousands commas allowed,
    a trailing 円 too), or None when it is anything else."""
    text = (raw or "").translate(_FULL_WIDTH).replace(",", "").strip().removesuffix("円").strip()
    if not text or len(text) > max_digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)


def storable(text: str) -> bool:
    """False for text UTF-8 cannot encode (a lone surrogate such as "\\ud800" from a JSON escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def first_unstorable(value: Any, path: str = "") -> str | None:
    """The field path of the first string (key or value) in a JSON value that is not storable."""
    if isinstance(value, str):
        return None if storable(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if not storable(str(key)):
                return path or ""
            found = first_unstorable(item, child)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = first_unstorable(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
