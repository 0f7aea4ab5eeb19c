"""Watch and disturb the DynamoDB calls the app sends, on the shared client's event system.

Every model and transaction sends through one botocore client per process
(chalicelib/store/connection.py), so a handler on its `before-call` event sees
every DynamoDB call, and one that returns a response stands in for DynamoDB's
answer (botocore then raises it exactly as it would a real error).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from chalicelib.store.connection import dynamodb_client

_ids = itertools.count()


@contextlib.contextmanager
def recorded() -> Iterator[list[str]]:
    """The names of the DynamoDB operations sent inside the block, in order."""
    calls: list[str] = []

    def record(model: Any, **_kwargs: Any) -> None:
        calls.append(model.name)

    events = dynamodb_client().meta.events
    uid = f"record-{next(_ids)}"
    events.register_first("before-call.dynamodb", record, unique_id=uid)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", unique_id=uid)


def cancelled(*reasons: str) -> dict[str, Any]:
    """TransactWriteItems' answer when DynamoDB cancels the transaction for `reasons`."""
    return {
        "Error": {
            "Code": "TransactionCanceledException",
            "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{', '.join(reasons)}]",
        },
        "CancellationReasons": [{"Code": code, "Message": code} for code in reasons],
        "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}},
    }


def error(code: str, message: str = "injected") -> dict[str, Any]:
    """A whole-request error answer such as TransactionConflictException or ThrottlingException."""
    return {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}}}


@contextlib.contextmanager
def failing(operation: str, answer: dict[str, Any], times: int) -> Iterator[list[str]]:
    """The first `times` calls of `operation` get `answer` instead of reaching DynamoDB.

    Yields the list of operations that were answered this way (its length is how
    many were intercepted)."""
    hit: list[str] = []

    def intercept(model: Any, **_kwargs: Any) -> Any:
        if len(hit) >= times:
            return None
        hit.append(model.name)
        return SimpleNamespace(status_code=400, headers={}, content=b""), answer

    events = dynamodb_client().meta.events
    uid = f"fail-{next(_ids)}"
    events.register(f"before-call.dynamodb.{operation}", intercept, unique_id=uid)
    try:
        yield hit
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", unique_id=uid)


@contextlib.contextmanager
def fault(operation: str, *, when: str, error: Exception, times: int = 1, table: str | None = None) -> Iterator[list]:
    """Raise `error` on the first `times` calls of `operation`: `when="after"`: the call reached
    DynamoDB and took effect, then its reply was lost; `when="before"`: it never left the client.
    `table`: only calls on the table whose name ends so. Yields one entry per fault raised."""
    hits: list[int] = []

    def mark(params=None, context=None, **_kwargs):
        names = [params.get("TableName", "")] if params else []
        names += [next(iter(i.values())).get("TableName", "") for i in (params or {}).get("TransactItems", [])]
        context["fault"] = table is None or any(n.endswith(table) for n in names)

    def raise_it(context=None, **_kwargs):
        if context.get("fault") and len(hits) < times:
            hits.append(1)
            raise error

    events = dynamodb_client().meta.events
    uid = f"fault-{next(_ids)}"
    events.register(f"before-parameter-build.dynamodb.{operation}", mark, unique_id=uid + "-mark")
    events.register(f"{when}-call.dynamodb.{operation}", raise_it, unique_id=uid)
    try:
        yield hits
    finally:
        events.unregister(f"{when}-call.dynamodb.{operation}", unique_id=uid)
        events.unregister(f"before-parameter-build.dynamodb.{operation}", unique_id=uid + "-mark")
