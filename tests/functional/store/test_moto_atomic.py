"""The embedded DynamoDB keeps transactions isolated under concurrency, as DynamoDB does.

moto alone restores whole-table snapshots when a transaction fails, which lets
concurrent transactions undo each other (devstack/moto_atomic.py); the local
stack and these tests run with its operations serialised. Without that, this
test finds rows of losing transactions, or loses the winner's.
"""

from __future__ import annotations

import threading

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.connection import connection
from chalicelib.store.models import ApplicationModel
from tests.factories import make_application

THREADS = 8
ROWS_PER_TRANSACTION = 20


def _attempt(app_id: str, i: int, barrier: threading.Barrier, winners: list[int]) -> None:
    rows = [
        ApplicationModel(
            f"{app_id}-{i}-{j}",
            owner_org="x",
            owner_login="x",
            status="issued",
            submitted_at="2026-01-01T00:00:00+09:00",
            form={},
        )
        for j in range(ROWS_PER_TRANSACTION)
    ]
    target = ApplicationModel.get(app_id)
    barrier.wait()
    try:
        with TransactWrite(connection=connection()) as tx:
            for row in rows:
                tx.save(row, condition=ApplicationModel.application_id.does_not_exist())
            tx.update(
                target,
                actions=[ApplicationModel.status.set("issued")],
                condition=ApplicationModel.status == "submitted",
            )
        winners.append(i)
    except TransactWriteError:
        pass


def test_concurrent_conditional_transactions_have_exactly_one_winner(monkeypatch):
    import time

    from moto.dynamodb.models.table import Table

    original = Table.put_item

    def slow_put_item(self, *args, **kwargs):  # widens moto's race window so the test is decisive
        time.sleep(0.002)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Table, "put_item", slow_put_item)
    for _round in range(3):
        app = make_application()
        winners: list[int] = []
        barrier = threading.Barrier(THREADS)
        threads = [
            threading.Thread(target=_attempt, args=(app.application_id, i, barrier, winners)) for i in range(THREADS)
        ]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert len(winners) == 1
        written = {
            (i, j)
            for i in range(THREADS)
            for j in range(ROWS_PER_TRANSACTION)
            if ApplicationModel.count(f"{app.application_id}-{i}-{j}")
        }
        assert written == {(winners[0], j) for j in range(ROWS_PER_TRANSACTION)}
        assert ApplicationModel.get(app.application_id).status == "issued"


def test_a_transaction_copies_no_table(monkeypatch):
    """moto copied a whole table once per item naming it (then once per table); now only the items
    a transaction names are saved, so a transaction costs the same however big its tables are."""
    import copy

    from moto.dynamodb.models.table import Table

    real = copy.deepcopy
    copied: list[str] = []

    def counting(value, *args, **kwargs):
        if isinstance(value, Table):
            copied.append(value.name)
        return real(value, *args, **kwargs)

    monkeypatch.setattr(copy, "deepcopy", counting)
    rows = [
        ApplicationModel(f"snap-{j}", owner_org="x", owner_login="x", status="issued", submitted_at="x", form={})
        for j in range(ROWS_PER_TRANSACTION)
    ]
    with TransactWrite(connection=connection()) as tx:
        for row in rows:
            tx.save(row)
    assert copied == [], copied
    assert all(ApplicationModel.get(r.application_id).status == "issued" for r in rows)
    # and a refused transaction still rolls back whole
    refused = [
        ApplicationModel(f"snap-x-{j}", owner_org="x", owner_login="x", status="s", submitted_at="x", form={})
        for j in range(3)
    ]
    try:
        with TransactWrite(connection=connection()) as tx:
            for row in refused:
                tx.save(row)
            tx.save(rows[0], condition=ApplicationModel.application_id.does_not_exist())
    except TransactWriteError:
        pass
    else:
        raise AssertionError("the condition on an existing row must refuse the transaction")
    assert ApplicationModel.count(refused[0].application_id) == 0


def _stream_records(table_name: str) -> int:
    import boto3

    from tests.functional.conftest import MOTO_URL

    streams = boto3.client("dynamodbstreams", endpoint_url=MOTO_URL)
    (arn,) = [s["StreamArn"] for s in streams.list_streams(TableName=table_name)["Streams"]]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return len(streams.get_records(ShardIterator=it, Limit=1000)["Records"])


def test_a_refused_transaction_leaves_every_item_it_named_and_no_stream_record():
    # Since moto_atomic saves only the items a transaction names (not whole tables): the items it
    # wrote before the refused condition are put back, the item it would have created is gone, and
    # the stream carries nothing of it (a stream record there would be a mail for a version that
    # never existed).
    from chalicelib.store.models import CertificateModel

    kept = ApplicationModel.get(make_application(status="submitted").application_id)
    cert = CertificateModel("30026-000001M", 1, kind="new", content={"a": 1}, sha256="x", issued_at="2026-12-01")
    cert.save()
    before = _stream_records(CertificateModel.Meta.table_name)
    with_stream = CertificateModel("30026-000002M", 1, kind="new", content={}, sha256="y", issued_at="2026-12-01")
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(cert, actions=[CertificateModel.sha256.set("changed")])  # applied first by moto
            tx.save(with_stream)  # a new row on the streamed table
            tx.update(kept, actions=[ApplicationModel.status.set("issued")], condition=ApplicationModel.status == "x")
    except TransactWriteError:
        pass
    else:
        raise AssertionError("the condition should have refused the transaction")
    assert CertificateModel.get("30026-000001M", 1).sha256 == "x"
    assert CertificateModel.count("30026-000002M") == 0
    assert ApplicationModel.get(kept.application_id).status == "submitted"
    assert _stream_records(CertificateModel.Meta.table_name) == before
    # and a transaction that commits still writes and streams as before
    with TransactWrite(connection=connection()) as tx:
        tx.save(with_stream)
    assert CertificateModel.get("30026-000002M", 1).sha256 == "y"
    assert _stream_records(CertificateModel.Meta.table_name) == before + 1
