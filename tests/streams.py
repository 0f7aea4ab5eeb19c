"""DynamoDB stream events in Lambda's shape, built from the items' stored images, handed to the
very functions Lambda calls (handlers/events.py) — and the mail they send, read back.

A record's NewImage is the item as the table holds it (tests/tables.py), so the stream functions
read exactly what DynamoDB would hand them.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from tests import tables

#: The certificates table's stream (the completion mail) and the staff events' stream (notices).
CERTIFICATES_ARN = (
    "arn:aws:dynamodb:ap-northeast-1:123456789012:table/esurety-local-certificates/stream/2026-01-01T00:00:00.000"
)
EVENTS_ARN = "arn:aws:dynamodb:ap-northeast-1:000000000000:table/esurety-local-events/stream/local"


def _image(item: Any, table: str, *key: str) -> dict[str, Any]:
    """`item` as stored: an image (DynamoDB JSON) as is, or the stored item with `item`'s key."""
    if isinstance(item, dict):
        return item
    found = tables.image(table, **{k: getattr(item, k) for k in key})
    assert found is not None, (table, item)
    return found


def record(cert: Any, seq: int, event_name: str = "INSERT") -> dict:
    """A certificates-stream record of a version (anything with `number` and `version`: read from
    the table) or of an image given as is."""
    image = _image(cert, "certificates", "number", "version")
    return {
        "eventID": f"ev-{seq}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ap-northeast-1",
        "eventSourceARN": CERTIFICATES_ARN,
        "dynamodb": {
            "ApproximateCreationDateTime": 1_790_000_000,
            "Keys": {"number": image["number"], "version": image["version"]},
            "NewImage": image,
            "SequenceNumber": str(100_000_000_000 + seq),
            "SizeBytes": 1200,
            "StreamViewType": "NEW_IMAGE",
        },
    }


def event_record(row: Any, seq: int) -> dict:
    """An events-stream record of a staff event (an image, or anything with `event_id`: read from the table)."""
    image = _image(row, "events", "event_id")
    return {
        "eventID": f"e{seq}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ap-northeast-1",
        "eventSourceARN": EVENTS_ARN,
        "dynamodb": {
            "ApproximateCreationDateTime": 1_790_000_000,
            "Keys": {"event_id": image["event_id"]},
            "NewImage": image,
            "SequenceNumber": str(200_000_000_000 + seq),
            "SizeBytes": 500,
            "StreamViewType": "NEW_IMAGE",
        },
    }


def event(*records: dict) -> dict:
    return {"Records": list(records)}


def deliver(client, evt: dict) -> dict:
    """Invoke the certificates-stream function as Lambda does: its partial-batch answer."""
    return client.lambda_.invoke("certificate_stream", evt).payload


def run_events(client, kind: str | None = None) -> list[dict]:
    """Hand every events row (of `kind`) to the events-stream function, as the stream would after
    the requests that queued them (a row already acted on is skipped by its claim): the answers."""
    images = [i for i in tables.images("events") if kind is None or i["kind"]["S"] == kind]
    records = [event_record(image, seq) for seq, image in enumerate(images)]
    return client.lambda_.invoke("event_stream", event(*records)).payload if records else {}


def failed(seq: int) -> dict:
    """The partial-batch answer's entry for the record `record(…, seq)`."""
    return {"itemIdentifier": str(100_000_000_000 + seq)}


def mails(client) -> list[dict]:
    """The local outbox (`GET /api/dev/outbox`): every mail sent so far, decoded."""
    return json.loads(client.http.get("/api/dev/outbox").body)["items"]


def raw_messages() -> list[dict]:
    """moto's own record of every raw message SES was given (for the MIME details)."""
    from tests.functional.conftest import MOTO_URL

    with urllib.request.urlopen(f"{MOTO_URL}/moto-api/data.json?service=ses", timeout=5) as resp:
        return json.load(resp)["ses"].get("RawMessage", [])
