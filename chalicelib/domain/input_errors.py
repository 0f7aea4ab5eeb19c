"""Error messages that say what is wrong and where: 「前払金保証金額: 0円より大きい金額を入力してください。」

The JSON Schema knows types, not people: for `-5` or a 20-digit number typed
into an amount it can only say 「整数で入力してください。」, which is wrong for
−5 (an integer) and says nothing of the field. `explain()` rewrites such errors
from the value actually sent, and puts the field's label in front of every
message that does not already start with it. Pure Python.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from chalicelib.domain import labels
from chalicelib.domain.errors import FieldError

#: Number fields of the application body → their unit ("円", "千円", or a count).
NUMBER_UNITS: dict[str, str] = {
    "project.contract_amount": "円",
    "advance_payment.amount": "円",
    "advance_payment.this_year_amount": "円",
    "advance_payment.intermediate_amount": "円",
    "contract_guarantee.amount": "円",
    "bid.second_amount_k": "千円",
    "bid.highest_amount_k": "千円",
    "bid.rounds": "回",
    "bid.bidders": "社",
    "bid.disqualified": "社",
}
MAXIMUM = 10**13  # the schema's maximum (10兆円)
_TOO_LONG = f"桁数が多すぎます。{MAXIMUM:,}以下で入力してください。"
_MINUS = "-−－‐‑–—ー"


def _value_at(body: Any, field: str) -> Any:
    node = body
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def number_problem(value: Any, unit: str) -> str | None:
    """Why `value` is not an acceptable whole number in `unit`, or None if it is."""
    if isinstance(value, bool) or value is None:
        return None if value is None else "数字で入力してください。"
    if isinstance(value, int):
        if value < 0 or (value == 0 and unit == "円"):
            return _not_positive(unit)
        if value > MAXIMUM:
            return _TOO_LONG
        return None
    if isinstance(value, float):
        return "小数は入力できません。整数で入力してください。"
    if not isinstance(value, str):
        return "数字で入力してください。"
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "").removesuffix(unit).strip()
    if text == "":
        return "入力してください。"
    negative = text[0] in _MINUS
    digits = text[1:].strip() if negative else text
    if digits.replace(".", "", 1).isdigit() and "." in digits:
        return "小数は入力できません。整数で入力してください。"
    if digits.isascii() and digits.isdigit():
        if negative:
            return _not_positive(unit)
        if int(digits) > MAXIMUM:
            return _TOO_LONG
        return "数値 (整数) で入力してください。"
    example = {"円": "20,000,000", "千円": "49,500"}.get(unit, "5")
    return f"数字で入力してください (例: {example})。"


def _not_positive(unit: str) -> str:
    if unit == "円":
        return "0円より大きい金額を入力してください。"
    if unit == "千円":
        return "0以上の金額 (千円) を入力してください。"
    return "0以上の数を入力してください。"


def labelled(field: str, message: str) -> str:
    """「label: message」, unless the message already starts with the label."""
    label = labels.FIELD.get(field)
    if not label or message.startswith(label):
        return message
    return f"{label}: {message}"


def explain(body: Any, errors: list[FieldError]) -> list[FieldError]:
    """The same errors, in the same order, each saying where and (for numbers) exactly what."""
    out = []
    for e in errors:
        message = e.message
        unit = NUMBER_UNITS.get(e.field)
        if unit is not None:
            problem = number_problem(_value_at(body, e.field), unit)
            if problem is not None:
                message = problem
        out.append(FieldError(e.field, labelled(e.field, message), e.code))
    return out
