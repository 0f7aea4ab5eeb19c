"""JSON Schema validation with field-level Japanese messages.

Pure: a body and a JSON Schema dict in, `FieldError`s out — no HTTP, no AWS.
It lives below services so a service can check a body it was handed (the
three-step form) with the same messages the JSON routes give, and the OpenAPI
document embeds the very same schema dicts. `jsonschema` is imported on first
use (~140 ms), keeping it off `import app`'s cold path.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import FieldError

_TYPE_NAMES = {
    "string": "文字列",
    "integer": "整数",
    "number": "数値",
    "boolean": "真偽値 (true/false)",
    "object": "オブジェクト",
    "array": "配列",
    "null": "null",
}


#: The finer error codes (API.md) of some JSON Schema keywords; the rest are `invalid`.
_CODES = {"required": "required", "maxLength": "too_long"}


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def _message(error: Any) -> tuple[str, str]:
    """(field, message) for one jsonschema error."""
    field = _path(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return (f"{field}.{missing}" if field else missing), "必須項目です。"
    if v == "additionalProperties":
        extras = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        name = extras[0] if extras else ""
        return (f"{field}.{name}" if field else name), "この項目は受け付けていません。"
    if v == "type":
        expected = error.validator_value
        names = expected if isinstance(expected, list) else [expected]
        label = "または".join(_TYPE_NAMES.get(n, n) for n in names if n != "null")
        return field, f"{label}で入力してください。"
    if v == "enum":
        return field, "選択肢の中から選んでください。"
    if v == "minimum":
        return field, f"{error.validator_value:,}以上で入力してください。"
    if v == "maximum":
        return field, f"{error.validator_value:,}以下で入力してください。"
    if v == "minLength":
        return (
            field,
            "入力してください。"
            if error.validator_value == 1
            else f"{error.validator_value}文字以上で入力してください。",
        )
    if v == "maxLength":
        return field, f"{error.validator_value}文字以内で入力してください。"
    if v == "pattern":
        return field, "形式が正しくありません。"
    if v in ("minItems", "maxItems"):
        return field, "件数が正しくありません。"
    return field, "値が正しくありません。"


def validate(data: Any, schema: dict[str, Any]) -> list[FieldError]:
    """Every error at once, one per field, in a stable order."""
    from jsonschema import Draft202012Validator  # ~140 ms: off the cold path

    validator = Draft202012Validator(schema)
    seen: dict[str, FieldError] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        field, message = _message(error)
        code = _CODES.get(error.validator)
        if error.validator == "additionalProperties":
            extras = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            base = _path(error.absolute_path)
            for name in extras:
                key = f"{base}.{name}" if base else name
                seen.setdefault(key, FieldError(key, message, code))
            continue
        seen.setdefault(field, FieldError(field, message, code))
    return list(seen.values())
