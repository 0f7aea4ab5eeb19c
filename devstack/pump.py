"""Feed the certificates stream to the trigger handler, as Lambda's event-source mapping would.

`chalice local` runs no event sources (NOTES.md), so this thread polls the
moto stream and calls the very handler object Lambda calls, with each record
converted to Lambda's shape. A failing batch is retried (at-least-once, like
Lambda); after `max_attempts` it is logged and skipped, like an on-failure
destination.

The handler's partial-batch answer is honoured as Lambda does with
`ReportBatchItemFailures` on a stream: the batch is retried from the first
record it reports (the later ones come again too); an answer naming a record
not in the batch counts as a failure of the whole batch.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3

from chalicelib import logs

HANDLER_NAME = "certificate_stream"


class LambdaContext:
    function_name = HANDLER_NAME
    memory_limit_in_mb = 1024
    aws_request_id = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def to_lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """boto3's stream record → the dict Lambda hands the function (NOTES.md lists the gaps)."""
    out = dict(record)
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if hasattr(created, "timestamp"):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    elif created is None:
        ddb["ApproximateCreationDateTime"] = int(time.time())
    out["dynamodb"] = ddb
    out["eventSourceARN"] = stream_arn
    out["awsRegion"] = region
    out.setdefault("eventSource", "aws:dynamodb")
    return out


#: The longest wait between polls of an idle stream (seconds): an idle pump is woken by the next
#: record moto writes (`wake_on_stream_writes`), so this only bounds a wake-up that was missed.
IDLE_WAIT = 2.0

#: One Event per running pump, set whenever moto appends a record to any table's stream.
_sleepers: set[threading.Event] = set()
_sleepers_lock = threading.Lock()
_hooked = False


def wake_on_stream_writes() -> None:
    """Idempotent: make moto's stream shards wake every idle pump when a record is appended.

    The stack runs moto in this process, so a pump need not poll an empty stream: polling it ten
    times a second (two pumps, describe_stream + get_records on the moto server each) cost every
    local stack a sixth of a core, and backing off to a fixed wait delayed the first record of a
    burst. Lambda's event-source mapping delivers within about a second; this within a poll."""
    global _hooked
    if _hooked:
        return
    from moto.dynamodb.models.table import StreamShard

    original = StreamShard.add

    def add(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            with _sleepers_lock:
                for event in _sleepers:
                    event.set()

    StreamShard.add = add  # type: ignore[method-assign]
    _hooked = True


class StreamPump(threading.Thread):
    def __init__(
        self,
        app: Any,
        stream_arn: str,
        region: str,
        interval: float = 0.1,
        max_attempts: int = 3,
        handler_name: str = HANDLER_NAME,
    ) -> None:
        super().__init__(name=f"stream-pump-{handler_name}", daemon=True)
        self.handler_name = handler_name
        self.app = app
        self.stream_arn = stream_arn
        self.region = region
        self.interval = interval
        self.max_attempts = max_attempts
        self._halt = threading.Event()
        self._written = threading.Event()  # set by moto's stream on a new record (wake_on_stream_writes)
        self._iterators: dict[str, str | None] = {}
        self.delivered = 0

    def stop(self) -> None:
        self._halt.set()
        self._written.set()

    def run(self) -> None:
        client = boto3.client("dynamodbstreams", region_name=self.region)
        handler = self.app.handler_map[self.handler_name]
        with _sleepers_lock:
            _sleepers.add(self._written)
        try:
            while not self._halt.is_set():
                self._written.clear()  # before the poll: a record written during it wakes the next wait
                try:
                    busy = self._poll(client, handler)
                except Exception:  # noqa: BLE001 - the pump must outlive a bad poll
                    logs.error("stream_pump_poll_failed", exc_info=True)
                    busy = False
                if busy:  # more may be coming: poll again after `interval`, as the mapping batches
                    self._halt.wait(self.interval)
                else:  # idle: sleep until moto writes a record (or IDLE_WAIT, should a wake-up be missed)
                    self._written.wait(max(self.interval, IDLE_WAIT))
        finally:
            with _sleepers_lock:
                _sleepers.discard(self._written)

    def _poll(self, client: Any, handler: Any) -> bool:
        """One pass over the stream's shards; True when it delivered records."""
        busy = False
        shards = client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            sid = shard["ShardId"]
            if sid not in self._iterators:
                self._iterators[sid] = client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[sid]
            if iterator is None:
                continue
            resp = client.get_records(ShardIterator=iterator, Limit=100)
            records = resp.get("Records", [])
            if records:
                self._deliver(handler, records)
                busy = True
            self._iterators[sid] = resp.get("NextShardIterator")
        return busy

    def _deliver(self, handler: Any, records: list[dict[str, Any]]) -> None:
        pending = [to_lambda_record(r, self.stream_arn, self.region) for r in records]
        for attempt in range(1, self.max_attempts + 1):
            try:
                result = handler({"Records": pending}, LambdaContext())
            except Exception:  # noqa: BLE001 - retried like Lambda does
                logs.error("stream_batch_failed", attempt=attempt, exc_info=True)
                start: int | None = 0
            else:
                start = retry_from(result, pending)
            if start is None:
                self.delivered += len(pending)
                return
            self.delivered += start
            pending = pending[start:]
            logs.warning("stream_batch_retry", attempt=attempt, records=len(pending))
            time.sleep(min(0.2 * attempt, 1.0))
        logs.error("stream_batch_dropped", records=len(pending))


def retry_from(result: Any, records: list[dict[str, Any]]) -> int | None:
    """Where Lambda would resume after this answer: None when the whole batch succeeded,
    else the index of the first reported record (0 when the answer is malformed)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return None
    positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
    indexes = []
    for failure in result["batchItemFailures"]:
        ident = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if ident not in positions:
            return 0
        indexes.append(positions[ident])
    return min(indexes)
