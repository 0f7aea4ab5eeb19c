"""A table as DynamoDB holds it, for what no repository read or write answers: how many rows a
table has ("nothing was stored"), an item's stored image (what a stream record carries), and the
set-up that stands in for time or DynamoDB's TTL (`update`, `delete`: a session that expired, a
claim left stale).

Through the store's shared client (chalicelib/store/connection.py) by the stage's table name,
never through the PynamoDB models (tests/unit/test_test_tree.py): a test reads back through
chalicelib/store/ repositories where one answers, else the raw table here. Rows come back as
`Row`s: a dict whose values are also attributes (`row.status`; None when absent), numbers as int
(or float), JSON attributes (form, details, content, …) as the text DynamoDB holds.
"""

from __future__ import annotations

import functools
from decimal import Decimal
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


class Row(dict):
    """An item as Python values, readable as `row["status"]` or `row.status` (None when absent)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)


def _value(v: Any) -> Any:
    v = _DESERIALIZE(v)
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, set):
        return {_value(_SERIALIZE(x)) for x in v}
    return v


def _row(image: dict[str, Any]) -> Row:
    return Row({k: _value(v) for k, v in image.items()})


@functools.cache
def key_names(table: str) -> tuple[str, ...]:
    """The table's key attributes: (hash,) or (hash, range)."""
    schema = connection.dynamodb_client().describe_table(TableName=name(table))["Table"]["KeySchema"]
    return tuple(k["AttributeName"] for k in sorted(schema, key=lambda k: k["KeyType"] != "HASH"))


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
    keys = key_names(table)
    found = [i for i in out if all(i.get(k) == _SERIALIZE(v) for k, v in equal.items())]
    return sorted(found, key=lambda i: tuple(str(_DESERIALIZE(i[k])) for k in keys if k in i))


def rows(table: str, **equal: Any) -> list[Row]:
    """Every item of a table (with `equal`, those whose attributes equal those values), in key
    order — for one hash key, the order a Query returns them in."""
    return [_row(image) for image in images(table, **equal)]


def count(table: str, **equal: Any) -> int:
    """How many items a table holds (with `equal`, how many have those attribute values)."""
    return len(images(table, **equal))


def image(table: str, **key: Any) -> dict[str, Any] | None:
    """One item's stored image by its key (a consistent GetItem), or None."""
    item = connection.dynamodb_client().get_item(
        TableName=name(table), Key={k: _SERIALIZE(v) for k, v in key.items()}, ConsistentRead=True
    )
    return item.get("Item")


def row(table: str, **key: Any) -> Row | None:
    """One item by its key, or None."""
    found = image(table, **key)
    return None if found is None else _row(found)


def update(table: str, key: dict[str, Any], **values: Any) -> None:
    """Set attributes of an existing item (None removes one) — set-up no repository offers, such
    as a session whose time ran out or a claim left stale."""
    sets = {k: v for k, v in values.items() if v is not None}
    removes = [k for k, v in values.items() if v is None]
    names = {f"#a{i}": k for i, k in enumerate(values)}
    by_name = {k: n for n, k in names.items()}
    expression = []
    if sets:
        expression.append("SET " + ", ".join(f"{by_name[k]} = :v{i}" for i, k in enumerate(sets)))
    if removes:
        expression.append("REMOVE " + ", ".join(by_name[k] for k in removes))
    kwargs: dict[str, Any] = {
        "TableName": name(table),
        "Key": {k: _SERIALIZE(v) for k, v in key.items()},
        "UpdateExpression": " ".join(expression),
        "ExpressionAttributeNames": names,
        "ConditionExpression": "attribute_exists(#k)",
    }
    kwargs["ExpressionAttributeNames"]["#k"] = next(iter(key))
    if sets:
        kwargs["ExpressionAttributeValues"] = {f":v{i}": _SERIALIZE(v) for i, v in enumerate(sets.values())}
    connection.dynamodb_client().update_item(**kwargs)


def delete(table: str, **key: Any) -> None:
    """Remove an item, as DynamoDB's TTL would."""
    connection.dynamodb_client().delete_item(TableName=name(table), Key={k: _SERIALIZE(v) for k, v in key.items()})
