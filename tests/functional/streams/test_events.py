"""The stream functions (handlers/events.py) take Lambda-shaped records."""

from __future__ import annotations

import json


def test_stream_handler_receives_lambda_shaped_records(client, capsys):
    event = {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ap-northeast-1",
                "eventSourceARN": "arn:aws:dynamodb:ap-northeast-1:123456789012:table/esurety-local-certificates/stream/x",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1700000000,
                    "Keys": {"number": {"S": "30026-000001M"}, "version": {"N": "1"}},
                    "NewImage": {"number": {"S": "30026-000001M"}, "version": {"N": "1"}},
                    "SequenceNumber": "1",
                    "SizeBytes": 10,
                    "StreamViewType": "NEW_IMAGE",
                },
            }
        ]
    }
    client.lambda_.invoke("certificate_stream", event)
    out = capsys.readouterr().out
    assert '"number": "30026-000001M"' in out
    # Every line of the invocation carries its Lambda request id (chalicelib/logs.py scoped).
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    ids = {line.get("request_id") for line in lines}
    assert len(ids) == 1 and None not in ids and {line["function"] for line in lines} == {"certificate_stream"}
