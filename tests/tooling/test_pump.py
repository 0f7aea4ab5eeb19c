"""The local stream pump honours the handler's partial-batch answer as Lambda does."""

from __future__ import annotations

import datetime as dt

from devstack import pump as pump_module
from devstack.pump import StreamPump, retry_from, to_lambda_record


def _records(n: int) -> list[dict]:
    """Records as boto3's get_records returns them (a datetime, no eventSourceARN)."""
    return [
        {
            "eventID": str(i),
            "eventName": "INSERT",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                "SequenceNumber": f"{i:05d}",
                "SizeBytes": 1,
                "StreamViewType": "NEW_IMAGE",
            },
        }
        for i in range(1, n + 1)
    ]


def _seqs(event: dict) -> list[str]:
    return [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]


def test_retry_from_follows_lambda_rules():
    recs = [{"dynamodb": {"SequenceNumber": s}} for s in ("1", "2", "3")]
    assert retry_from(None, recs) is None
    assert retry_from({"batchItemFailures": []}, recs) is None
    assert retry_from({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}, recs) == 1
    assert retry_from({"batchItemFailures": [{"itemIdentifier": "9"}]}, recs) == 0
    assert retry_from({"batchItemFailures": [{}]}, recs) == 0


def test_pump_redelivers_from_the_first_reported_record(monkeypatch):
    monkeypatch.setattr(pump_module.time, "sleep", lambda s: None)
    seen: list[list[str]] = []

    def handler(event, context):
        seen.append(_seqs(event))
        assert event["Records"][0]["eventSourceARN"] == "arn:x"
        if len(seen) == 1:
            return {"batchItemFailures": [{"itemIdentifier": "00002"}]}
        return {"batchItemFailures": []}

    p = StreamPump(app=None, stream_arn="arn:x", region="ap-northeast-1")
    p._deliver(handler, _records(3))
    assert seen == [["00001", "00002", "00003"], ["00002", "00003"]]
    assert p.delivered == 3


def test_pump_retries_a_raising_batch_then_drops_it(monkeypatch):
    monkeypatch.setattr(pump_module.time, "sleep", lambda s: None)
    calls: list[list[str]] = []

    def handler(event, context):
        calls.append(_seqs(event))
        raise RuntimeError("boom")

    p = StreamPump(app=None, stream_arn="arn:x", region="ap-northeast-1", max_attempts=3)
    p._deliver(handler, _records(2))
    assert calls == [["00001", "00002"]] * 3
    assert p.delivered == 0


def test_pump_converts_boto3_records_to_lambda_shape():
    record = {
        "eventID": "e1",
        "eventName": "INSERT",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": dt.datetime(2026, 11, 24, 1, 2, 3, tzinfo=dt.UTC),
            "Keys": {"number": {"S": "n"}},
            "SequenceNumber": "1",
            "SizeBytes": 1,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    out = to_lambda_record(record, "arn:aws:dynamodb:ap-northeast-1:1:table/t/stream/s", "ap-northeast-1")
    assert out["dynamodb"]["ApproximateCreationDateTime"] == int(
        dt.datetime(2026, 11, 24, 1, 2, 3, tzinfo=dt.UTC).timestamp()
    )
    assert out["eventSourceARN"].endswith("/stream/s")
    assert out["awsRegion"] == "ap-northeast-1"
    assert record["dynamodb"]["ApproximateCreationDateTime"].year == 2026  # input untouched


def test_an_idle_pump_sleeps_until_moto_writes_a_record_and_a_busy_one_polls_again_after_interval(monkeypatch):
    """Idle, a pump waits on its wake-up event (IDLE_WAIT at most); after a poll that delivered it
    polls again `interval` later."""
    p = StreamPump(app=type("A", (), {"handler_map": {pump_module.HANDLER_NAME: None}})(), stream_arn="s", region="r")
    busy = iter([False, True, False])
    monkeypatch.setattr(p, "_poll", lambda client, handler: next(busy))
    monkeypatch.setattr(pump_module.boto3, "client", lambda *a, **k: None)
    waits = []

    def waiting(what):
        def wait(seconds):
            waits.append((what, seconds))
            if len(waits) == 3:
                p.stop()

        return wait

    monkeypatch.setattr(p._written, "wait", waiting("write"))
    monkeypatch.setattr(p._halt, "wait", waiting("interval"))
    p.run()
    assert waits == [("write", pump_module.IDLE_WAIT), ("interval", 0.1), ("write", pump_module.IDLE_WAIT)]
    assert p._written not in pump_module._sleepers  # a stopped pump is no longer woken
