"""Schemas the OpenAPI document names once (`components.schemas`) and routes refer to.

A route declares `ERRORS` (or nothing) for an error status and gets the one shared error body;
`ref(name)` points at any schema below. Names are chosen so a generated client's models do not
collide (API.md: `ApplicationDelivery`, `Handover`, `WebhookAttempt`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import ERROR_CODES


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null (OpenAPI 3.1: a type list, or oneOf for a reference)."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else schema


#: API.md's error body: every route's 4xx/5xx answer.
ERRORS = ref("Errors")

FEES = {
    "type": "object",
    "description": "保証料 (円)。送信時に確定し、入金・免除が記録される",
    "properties": {
        "advance_payment": {"type": ["integer", "null"]},
        "contract_guarantee": {"type": ["integer", "null"]},
        "reservation": {"type": ["integer", "null"]},
        "total": {"type": "integer"},
        "paid_on": {"type": ["string", "null"], "format": "date"},
        "waived": nullable(
            {
                "type": "object",
                "properties": {"reason": {"type": "string"}, "by": {"type": "string"}, "at": {"type": "string"}},
            }
        ),
    },
}

COMPONENTS: dict[str, dict[str, Any]] = {
    "ErrorItem": {
        "type": "object",
        "required": ["field", "code", "message"],
        "properties": {
            "field": {
                "type": ["string", "null"],
                "description": "誤りのある項目 (ドット区切り)。項目によらない誤りは null",
            },
            "code": {"type": "string", "enum": list(ERROR_CODES), "description": "安定した誤りの種別"},
            "message": {"type": "string", "description": "日本語の説明"},
        },
    },
    "Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {"errors": {"type": "array", "minItems": 1, "items": ref("ErrorItem")}},
    },
    "Fees": FEES,
    "OAuthError": {
        "type": "object",
        "description": "RFC 6749 §5.2 の error と、API の errors",
        "required": ["error", "errors"],
        "properties": {
            "error": {"type": "string", "enum": ["invalid_request", "unsupported_grant_type", "invalid_client"]},
            "error_description": {"type": "string"},
            "errors": {"type": "array", "minItems": 1, "items": ref("ErrorItem")},
        },
    },
}
