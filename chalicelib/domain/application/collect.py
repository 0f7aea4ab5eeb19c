"""The error collector one review shares across its section rules.

Every rule reports through it, so the whole request's errors come back at
once, one per field: the first error a field gets wins (rules run in the
form's order, so the message is the one nearest the input's first problem).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from chalicelib.domain import dates
from chalicelib.domain.application.normalise import normalise_date, normalise_text
from chalicelib.domain.errors import FieldError
from chalicelib.domain.fonts import undrawable_chars


def undrawable_message(bad: list[str]) -> str:
    """The error for characters the certificate font cannot print (at most five shown)."""
    shown = "」「".join(bad[:5])
    return f"「{shown}」は証書に印字できない文字です。別の文字に置き換えてください。"


class Review:
    """Collects errors for one application; `charset` is the code points the PDF font can draw."""

    def __init__(self, charset: Collection[int] | None) -> None:
        self.errors: dict[str, FieldError] = {}
        self.charset = charset

    def error(self, field: str, message: str, code: str | None = None) -> None:
        self.errors.setdefault(field, FieldError(field, message, code))

    def ok(self, field: str) -> bool:
        return field not in self.errors

    def printable(self, field: str, value: str) -> None:
        """Refuse characters the certificate cannot print (skipped when no charset was given)."""
        bad = undrawable_chars(value, self.charset) if self.charset is not None else []
        if bad:
            self.error(field, undrawable_message(bad))

    def text(self, section: dict, name: str, field: str, *, required: bool, label: str) -> str | None:
        """Free text that will be printed: trimmed, required if asked, printable."""
        value = normalise_text(section.get(name))
        if value is None:
            if required:
                self.error(field, f"{label}を入力してください。", "required")
            return None
        self.printable(field, value)
        return value

    def date(self, section: dict, name: str, field: str, *, label: str, today: dt.date | None) -> str | None:
        """A date in one of the accepted forms; not before `today` when one is given."""
        raw: Any = section.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.error(field, f"{label}を入力してください。", "required")
            return None
        value = normalise_date(raw)
        if value is None:
            self.error(
                field, f"{label}は 2023-10-30、2023/10/30 または 20231030 の形式で、実在する日付を入力してください。"
            )
            return None
        if not dates.date_in_range(dt.date.fromisoformat(value)):
            self.error(field, f"{label}: {dates.DATE_OUT_OF_RANGE}")
            return None
        if today is not None and value < today.isoformat():
            self.error(field, f"{label}に過去の日付は指定できません。")
        return value
