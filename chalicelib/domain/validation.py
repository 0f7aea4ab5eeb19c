"""JSON Schema validation with field-level Japanese messages.

Pure: a body and a JSON Schema dict in, `FieldError`s out — no HTTP, no AWS.
It lives below services so a service can check a body it was handed (the
three-step form) with the same messages the JSON routes give, and the OpenAPI
document embeds the very same schema dicts.

Two validators (issue 32): a body is first run through a `fastjsonschema` function
generated for its schema at build time (`python -m devstack.schema_code DIR`,
run by scripts/package: plain Python in `chalicelib/domain/schemas_compiled/`,
byte-compiled with the rest, importing nothing of fastjsonschema), which
accepts a good body in microseconds. Only a body it refuses goes to
`jsonschema` (~80–140 ms to import, once), which lists every bad field with its
code — fastjsonschema stops at the first. jsonschema's answer is the one that
counts: the fast path is used only for schemas whose keywords mean the same in
both (or are stricter in fastjsonschema, e.g. `format`), so it can never accept
what jsonschema refuses (tests/unit/domain/test_validation_fast.py). In a
checkout without the generated modules a schema is compiled on first use.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import FieldError

#: Where the build puts the generated validators (one module per schema, named by its fingerprint).
COMPILED_PACKAGE = "chalicelib.domain.schemas_compiled"
#: Keywords that mean the same to fastjsonschema (draft-07) and jsonschema (2020-12), or that
#: fastjsonschema checks more strictly (`format`); a schema with any other keyword is always
#: validated by jsonschema alone.
FAST_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "enum", "const", "minLength", "maxLength",
        "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items", "minItems", "maxItems",
        "uniqueItems", "format", "title", "description", "examples", "oneOf", "anyOf", "allOf", "not",
    }
)  # fmt: skip
#: Keywords whose value is a map of names to schemas.
_SCHEMA_MAPS = frozenset({"properties"})
_FAST: dict[int, tuple[dict[str, Any], Callable[[Any], Any] | None]] = {}

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


def fingerprint(schema: dict[str, Any]) -> str:
    """The name of a schema's generated module: a hash of its canonical JSON."""
    text = json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "s_" + hashlib.sha256(text.encode()).hexdigest()[:20]


def fast_enough(schema: Any) -> bool:
    """Every keyword of `schema`, at every depth, is one of FAST_KEYWORDS (so the fast path is safe)."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= FAST_KEYWORDS:
        return False
    for key, value in schema.items():
        if key in _SCHEMA_MAPS:
            if not all(fast_enough(v) for v in value.values()):
                return False
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict | bool):
            if not fast_enough(value):
                return False
        elif key in ("oneOf", "anyOf", "allOf") and not all(fast_enough(v) for v in value):
            return False
        elif key == "items" and not isinstance(value, dict | bool):
            return False  # a list of schemas: tuple validation in draft-07, not in 2020-12
        elif key in ("enum", "const") and not all(isinstance(v, str) or v is None for v in _listed(key, value)):
            return False  # Python's `in` takes True for 1: fastjsonschema would accept what jsonschema refuses
    return True


def _listed(key: str, value: Any) -> list[Any]:
    return list(value) if key == "enum" else [value]


def _compile(schema: dict[str, Any]) -> Callable[[Any], Any] | None:
    if not fast_enough(schema):
        return None
    try:
        return importlib.import_module(f"{COMPILED_PACKAGE}.{fingerprint(schema)}").validate
    except ImportError:
        pass
    import fastjsonschema  # a checkout (or a schema the build missed): compiled now, once

    try:
        return fastjsonschema.compile(schema, use_default=False)
    except fastjsonschema.JsonSchemaDefinitionException:
        return None  # e.g. a format it does not know: jsonschema alone


def fast_validator(schema: dict[str, Any]) -> Callable[[Any], Any] | None:
    """The generated validator of `schema` (raises on a bad body), or None when it has no safe one."""
    entry = _FAST.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = (schema, _compile(schema))
        _FAST[id(schema)] = entry
    return entry[1]


def validate(data: Any, schema: dict[str, Any]) -> list[FieldError]:
    """Every error at once, one per field, in a stable order."""
    fast = fast_validator(schema)
    if fast is not None:
        try:
            fast(data)
            return []
        except Exception:  # noqa: BLE001, S110 - refused (or undecided): jsonschema decides and lists every field
            pass
    return _full(data, schema)


def _full(data: Any, schema: dict[str, Any]) -> list[FieldError]:
    from jsonschema import Draft202012Validator  # ~80–140 ms: only for a body the fast path refused

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
