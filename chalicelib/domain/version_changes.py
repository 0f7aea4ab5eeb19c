"""What each field of a 訂正/変更 must be: one home for the JSON route and the clerk's form.

A version's `changes` carry at most four fields: the two amounts (whole yen, 1 円 to 10兆円),
the period's end (a real day) and the project name (1–200 characters). The JSON route states
them as `SCHEMA` (its shape) plus `checked` (a pattern cannot tell 2025-02-30 from a day); the
console's form reads what was typed with `from_form`, against the same bounds. Which fields
a kind may carry, and the guarantee rules the new values must keep, are the service's
(`ALLOWED` here; services/versions.py: validate_changes; domain/limits.py). Pure Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import strict
from chalicelib.domain.errors import FieldError, ValidationFailed

MIN_AMOUNT = 1
MAX_AMOUNT = 10**13
MAX_PROJECT_NAME = 200
AMOUNT_FIELDS = ("guarantee_amount", "contract_amount")
#: Which `changes` fields each kind may carry. 訂正 fixes clerical text; 変更 the amounts and the period.
ALLOWED: dict[str, set[str]] = {
    "correction": {"project_name"},
    "change": {"guarantee_amount", "contract_amount", "period_end"},
    "cancellation": set(),
}

#: The JSON Schema of a version's `changes` (the shape; `checked` and the service decide the rest).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{name: {"type": "integer", "minimum": MIN_AMOUNT, "maximum": MAX_AMOUNT} for name in AMOUNT_FIELDS},
        "period_end": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "project_name": {"type": "string", "minLength": 1, "maxLength": MAX_PROJECT_NAME},
    },
}


def real_day(text: str) -> str | None:
    """The ISO date `text` names, or None when it is no day of the calendar."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def checked(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The JSON route's `changes` (their shape checked against SCHEMA) with `period_end` a real
    day, else ValidationFailed on `changes.period_end`."""
    out = dict(changes or {})
    if "period_end" in out:
        day = real_day(out["period_end"])
        if day is None:
            raise ValidationFailed([FieldError("changes.period_end", "日付が正しくありません。")])
        out["period_end"] = day
    return out


def from_form(form: Mapping[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """(changes, errors) from the console's typed fields: a blank field changes nothing; an amount
    may be typed with full-width digits, commas or 円 (never ² or ①)."""
    changes: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in AMOUNT_FIELDS:
        raw = (form.get(name) or "").strip()
        if raw:
            amount = strict.whole_number(raw)
            if amount is None or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
                errors.append(FieldError(f"changes.{name}", "金額は1以上の整数 (円) で入力してください。"))
            else:
                changes[name] = amount
    raw = (form.get("period_end") or "").strip()
    if raw:
        day = real_day(raw)
        if day is None:
            errors.append(FieldError("changes.period_end", "日付は YYYY-MM-DD で入力してください。"))
        else:
            changes["period_end"] = day
    name = (form.get("project_name") or "").strip()
    if name:
        if len(name) > MAX_PROJECT_NAME:
            errors.append(FieldError("changes.project_name", f"{MAX_PROJECT_NAME}文字以内で入力してください。"))
        changes["project_name"] = name
    return changes, errors
