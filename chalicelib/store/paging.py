"""Cursor pagination over DynamoDB Queries, full pages even with filters.

A cursor is the Query's LastEvaluatedKey, serialised and signed together with
the identity of the list it came from (`scope`: which Query, for whom, with
which filters): a client can hand it back to the same list but cannot forge
one, nor carry one to another list or another filter (a bad or foreign cursor
is a 400, never a 500).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib import settings
from chalicelib.domain import constant_time
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT

T = TypeVar("T")

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "decode_cursor", "encode_cursor", "is_string_value", "page"]


def _mac(payload: bytes, scope: str) -> str:
    message = b"cursor|" + scope.encode("utf-8", "replace") + b"|" + payload
    return hmac.new(settings.signing_secret(), message, hashlib.sha256).hexdigest()[:32]


def encode_cursor(key: dict[str, Any] | None, scope: str = "") -> str | None:
    if not key:
        return None
    payload = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _mac(payload, scope)


def decode_cursor(cursor: str | None, scope: str = "") -> dict[str, Any] | None:
    if not cursor:
        return None
    bad = ValidationFailed([FieldError("cursor", "cursor が正しくありません。最初のページからやり直してください。")])
    body, _, mac = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        raise bad from None
    if not mac or not constant_time.equal(mac, _mac(payload, scope)):
        raise bad
    try:
        return json.loads(payload)
    except ValueError:
        raise bad from None


def page(
    run_query: Callable[[dict[str, Any] | None, int], Any],
    limit: int,
    cursor: str | None,
    keep: Callable[[T], bool] = lambda _item: True,
    convert: Callable[[Any], T] = lambda item: item,
    *,
    scope: str = "",
) -> tuple[list[T], str | None]:
    """Read until `limit` kept items or the end of the data.

    `run_query(start_key, page_size)` returns a PynamoDB ResultIterator (a Query,
    never a Scan) limited to `page_size` items. Each item read is turned into a
    domain value by `convert` before `keep` judges it, so repositories hand out
    plain values and callers filter on them. When `keep` drops items, reading
    goes on. The next cursor is the key of the last item returned, and it is only
    given when another kept item really exists, so pages never skip, repeat, or
    promise a page that turns out empty.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    start = decode_cursor(cursor, scope)
    items: list[T] = []
    last_key: dict[str, Any] | None = None
    while True:
        results = run_query(start, limit + 1)
        for raw in results:
            item = convert(raw)
            if not keep(item):
                continue
            if len(items) == limit:
                return items, encode_cursor(last_key, scope)
            items.append(item)
            last_key = results.last_evaluated_key
        start = results.last_evaluated_key
        if not start:
            return items, None


def is_string_value(value: Any) -> bool:
    """A DynamoDB `{"S": "..."}` key part, as a start key from a cursor must hold."""
    return isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)
