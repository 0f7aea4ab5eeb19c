"""Query-string parsing: HTTP's strings coerced to the declared types, or a 400.

HTTP-specific (every value arrives as a string, an unknown parameter is a
client error), so it stays with the handlers; body validation is pure and lives
in `domain/validation.py`. The specs are JSON-Schema-like dicts that the OpenAPI
document publishes as the routes' parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.domain import strict
from chalicelib.domain.errors import FieldError
from chalicelib.handlers.errors import ApiError


def parse_query(params: dict[str, str], spec: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Coerce query strings to the declared types; unknown or bad values are a 400."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    for name in params:
        if not strict.storable(name) or not strict.storable(params[name] or ""):
            raise ApiError(400, [FieldError("", "使用できない文字 (不正な Unicode) が含まれています。")])
        if name not in spec:
            errors.append(FieldError(name[:64], "この検索条件は受け付けていません。"))
    for name, rule in spec.items():
        raw = params.get(name)
        if raw is None or raw == "":
            if "default" in rule:
                out[name] = rule["default"]
            continue
        try:
            out[name] = _coerce(raw, rule)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    if errors:
        raise ApiError(400, errors)
    return out


def _coerce(raw: str, rule: dict[str, Any]) -> Any:
    kind = rule.get("type", "string")
    if len(raw) > rule.get("maxLength", 512):
        raise ValueError(f"{rule.get('maxLength', 512)}文字以内で入力してください。")
    if kind == "integer":
        value: Any = strict.whole_number(raw, max_digits=12)
        if value is None or not raw.isascii():
            raise ValueError("整数で入力してください。")
        if value < rule.get("minimum", value) or value > rule.get("maximum", value):
            raise ValueError(f"{rule.get('minimum')}から{rule.get('maximum')}の範囲で入力してください。")
        return value
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError("true または false で指定してください。")
        return raw == "true"
    if rule.get("format") == "date":
        try:
            return dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError("日付は YYYY-MM-DD で入力してください。") from None
    if "enum" in rule and raw not in rule["enum"]:
        raise ValueError("選択肢の中から選んでください。")
    return raw
