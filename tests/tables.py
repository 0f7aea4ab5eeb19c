"""A table as DynamoDB holds it, for the assertions no repository read answers: how many rows a
table has ("nothing was stored"), and an item's stored image (what a stream record carries).

Read through the store's shared client (chalicelib/store/connection.py) by the stage's table
name, never through the PynamoDB models (tests/unit/test_test_tree.py): what a test reads back
is what a use case would read, through chalicelib/store/, or the raw table here.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib import settings
from chalicelib.store import connection

_DESERIALIZE = TypeDeserializer().deserialize
_SERIALIZE = TypeSerializer().serialize


def name(table: str) -> str:
    """The stage's name of a logical table (settings.TABLES: "applications", "guarantees", …)."""
    assert table in settings.TABLES, table
    return settings.current().table_name(table)


def images(table: str, **equal: Any) -> list[dict[str, Any]]:
    """Every item of a table (a consistent Scan) in DynamoDB's JSON, e.g. {"number": {"S": "…"}} —
    the shape of a stream record's NewImage; with `equal`, only items whose attributes equal those."""
    client = connection.dynamodb_client()
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": name(table), "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        out.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [i for i in out if all(i.get(k) == _SERIALIZE(v) for k, v in equal.items())]


def rows(table: str, **equal: Any) -> list[dict[str, Any]]:
    """Every item of a table as Python values (numbers are Decimal; JSON attributes stay text)."""
    return [{k: _DESERIALIZE(v) for k, v in image.items()} for image in images(table, **equal)]


def count(table: str, **equal: Any) -> int:
    """How many items a table holds (with `equal`, how many have those attribute values)."""
    return len(images(table, **equal))


def image(table: str, **key: Any) -> dict[str, Any] | None:
    """One item's stored image by its key (a consistent GetItem), or None."""
    item = connection.dynamodb_client().get_item(
        TableName=name(table), Key={k: _SERIALIZE(v) for k, v in key.items()}, ConsistentRead=True
    )
    return item.get("Item")


def row(table: str, **key: Any) -> dict[str, Any] | None:
    """One item by its key as Python values, or None."""
    found = image(table, **key)
    return None if found is None else {k: _DESERIALIZE(v) for k, v in found.items()}
