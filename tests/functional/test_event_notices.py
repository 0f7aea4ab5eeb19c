"""Issue 14 step 5: staff events (key reissue, rejection) → notices through the events stream,
exactly once per event, through the very function Lambda calls."""

from __future__ import annotations

import json

from chalicelib.store.models import EventModel
from tests.factories import make_application
from tests.functional.conftest import bearer, body, requested_then_approved

JSON = {"Content-Type": "application/json"}
ARN = "arn:aws:dynamodb:ap-northeast-1:000000000000:table/esurety-local-events/stream/local"


def record(row: EventModel, seq: int) -> dict:
    image = row.serialize()
    return {
        "eventID": f"e{seq}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ap-northeast-1",
        "eventSourceARN": ARN,
        "dynamodb": {
            "ApproximateCreationDateTime": 1_790_000_000,
            "Keys": {"event_id": image["event_id"]},
            "NewImage": image,
            "SequenceNumber": str(200_000_000_000 + seq),
            "SizeBytes": 500,
            "StreamViewType": "NEW_IMAGE",
        },
    }


def mails(client) -> list[dict]:
    return body(client.http.get("/api/dev/outbox"))["items"]


def test_key_reissue_mails_the_contractor_once_without_either_key(client, tokens):
    app = make_application()
    issued = body(
        client.http.post(
            f"/api/staff/applications/{app.application_id}/issue", headers=bearer(tokens["staff"], **JSON), body=""
        )
    )
    number, old = issued["guarantees"][0]["number"], issued["guarantees"][0]["auth_key"]
    asked = client.http.post(
        f"/api/staff/guarantees/{number}/reissue-key",
        headers=bearer(tokens["staff"], **JSON),
        body=json.dumps({"reason": "紛失"}),
    )
    assert list(EventModel.scan()) == []  # nothing until the 決裁
    new = body(requested_then_approved(client, tokens, asked))["auth_key"]
    [row] = list(EventModel.scan())
    assert (
        row.kind == "key_reissued"
        and row.number == number
        and old not in json.dumps(row.serialize())
        and new not in json.dumps(row.serialize())
    )
    before = len(mails(client))
    for seq in (1, 2):  # a redelivery sends nothing twice
        out = client.lambda_.invoke("event_stream", {"Records": [record(row, seq)]}).payload
        assert out == {"batchItemFailures": []}
    sent = mails(client)[before:]
    assert (
        len(sent) == 1 and sent[0]["subject"] == "認証キー再発行のお知らせ" and sent[0]["to"] == ["soumu@example.co.jp"]
    )
    assert number in sent[0]["body"] and old not in sent[0]["body"] and new not in sent[0]["body"]


def test_rejection_mails_the_reason_when_mail_was_asked_for(client, tokens):
    app = make_application()
    resp = client.http.post(
        f"/api/staff/applications/{app.application_id}/reject",
        headers=bearer(tokens["staff"], **JSON),
        body=json.dumps({"reason": "工期の記載誤り"}),
    )
    assert resp.status_code == 200
    [row] = list(EventModel.scan())
    assert row.kind == "application_rejected" and row.email == "soumu@example.co.jp"
    before = len(mails(client))
    client.lambda_.invoke("event_stream", {"Records": [record(row, 3)]})
    [mail] = mails(client)[before:]
    assert mail["subject"] == "保証申込差戻しのお知らせ" and "工期の記載誤り" in mail["body"]
