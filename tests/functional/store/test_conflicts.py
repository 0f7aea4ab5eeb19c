"""Issue 10, item 2: transaction conflicts and throttling are retried; the answers stay 201/409.

Real DynamoDB cancels a transaction that overlaps another on the same item
(`TransactionConflict`); moto never does. These tests make the shared client
answer the first TransactWriteItems calls the way DynamoDB does
(tests/dynamodb_calls.py) and check what the person gets, and what is stored.
"""

from __future__ import annotations

import json

import boto3
import pytest

from chalicelib import settings
from chalicelib.store import tx
from chalicelib.store.models import ApplicationModel, CertificateModel, GuaranteeModel, ReservationModel
from tests import dynamodb_calls
from tests.factories import make_application, reservation_body
from tests.functional.conftest import bearer, body
from tests.journeys import approve, issue, post_version, reissue

JSON = {"Content-Type": "application/json"}
CONFLICT = dynamodb_calls.cancelled("None", "TransactionConflict", "None")


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """The retry waits are real in production; here they would only slow the suite."""
    waits: list[int] = []
    monkeypatch.setattr(tx, "backoff", lambda attempt: waits.append(attempt) or 0.0)
    return waits


def bucket_keys() -> list[str]:
    s3 = boto3.client("s3", region_name="ap-northeast-1")
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=settings.current().bucket).get("Contents", []))


def test_issue_survives_transaction_conflicts(client, tokens, no_backoff):
    app = make_application()
    with dynamodb_calls.failing("TransactWriteItems", CONFLICT, times=3) as hit:
        resp = issue(client, tokens, app.application_id)
    assert len(hit) == 3 and no_backoff == [0, 1, 2]  # three cancelled, the fourth committed
    assert resp.status_code == 201, resp.body
    numbers = [g["number"] for g in body(resp)["guarantees"]]
    assert len(numbers) == 2
    assert sorted(g.number for g in GuaranteeModel.scan()) == sorted(numbers)
    assert ApplicationModel.get(app.application_id).status == "issued"
    referenced = {k for c in CertificateModel.scan() for k in (c.pdf_key, c.key_notice_key) if k}
    assert set(bucket_keys()) == referenced and len(referenced) == 4
    # a real second issue is still a 409, conflicts or not
    with dynamodb_calls.failing("TransactWriteItems", CONFLICT, times=1):
        again = issue(client, tokens, app.application_id)
    assert again.status_code == 409


def test_version_survives_transaction_conflicts(client, tokens, issued):
    number = issued[0]["number"]
    with dynamodb_calls.failing("TransactWriteItems", CONFLICT, times=2) as hit:
        resp = post_version(client, tokens, number, {"kind": "change", "changes": {"guarantee_amount": 18000000}})
    assert len(hit) == 2
    assert resp.status_code == 201, resp.body
    assert body(resp)["version"] == 2
    assert [int(c.version) for c in CertificateModel.query(number)] == [1, 2]
    assert GuaranteeModel.get(number).latest_version == 2
    referenced = {k for c in CertificateModel.scan() for k in (c.pdf_key, c.key_notice_key) if k}
    assert set(bucket_keys()) == referenced


def test_key_reissue_survives_transaction_conflicts(client, tokens, issued):
    number, old = issued[0]["number"], issued[0]["auth_key"]
    asked = reissue(client, tokens, number)  # API.md: 202, then the approval carries it out
    assert asked.status_code == 202, asked.body
    with dynamodb_calls.failing("TransactWriteItems", CONFLICT, times=2) as hit:
        resp = approve(client, tokens, body(asked)["approval_id"])
    assert len(hit) == 2
    assert resp.status_code == 201, resp.body
    new = body(resp)["auth_key"]
    assert new != old and GuaranteeModel.get(number).auth_key == new
    referenced = {k for c in CertificateModel.scan() for k in (c.pdf_key, c.key_notice_key) if k}
    assert set(bucket_keys()) == referenced  # the old notice and the losing uploads are gone


@pytest.mark.parametrize(
    "answer",
    [
        dynamodb_calls.cancelled("None", "ThrottlingError"),
        dynamodb_calls.cancelled("ProvisionedThroughputExceeded", "None"),
        dynamodb_calls.error("TransactionInProgressException"),
        dynamodb_calls.error("ThrottlingException"),
        dynamodb_calls.error("RequestLimitExceeded"),
        dynamodb_calls.error("ProvisionedThroughputExceededException"),
    ],
    ids=lambda a: a["Error"]["Code"] + ":" + ",".join(r["Code"] for r in a.get("CancellationReasons", [])),
)
def test_throttling_is_retried_too(client, tokens, answer):
    app = make_application()
    with dynamodb_calls.failing("TransactWriteItems", answer, times=2) as hit:
        resp = issue(client, tokens, app.application_id)
    assert len(hit) == 2 and resp.status_code == 201, resp.body


def test_conflicts_that_never_end_are_a_409_and_leave_nothing(client, tokens):
    app = make_application()
    with dynamodb_calls.failing("TransactWriteItems", CONFLICT, times=tx.MAX_ATTEMPTS) as hit:
        resp = issue(client, tokens, app.application_id)
    assert len(hit) == tx.MAX_ATTEMPTS  # bounded: exactly MAX_ATTEMPTS tries, then it gives up
    assert resp.status_code == 409, resp.body
    assert body(resp)["errors"][0]["message"]
    assert list(GuaranteeModel.scan()) == [] and bucket_keys() == []
    assert ApplicationModel.get(app.application_id).status == "submitted"
    assert issue(client, tokens, app.application_id).status_code == 201  # and a retry just works


def test_a_failed_condition_is_never_retried(client, tokens, issued):
    """A second issue is a condition failure: one TransactWriteItems, then 409."""
    app_id = GuaranteeModel.get(issued[0]["number"]).application_id
    with dynamodb_calls.recorded() as calls:
        resp = issue(client, tokens, app_id)
    assert resp.status_code == 409
    assert "TransactWriteItems" not in calls  # the status read already says it is done
    # on the transaction itself: DynamoDB says a condition failed; that answer is final
    app = make_application()
    with dynamodb_calls.failing(
        "TransactWriteItems", dynamodb_calls.cancelled("None", "ConditionalCheckFailed"), 9
    ) as hit:
        resp = issue(client, tokens, app.application_id)
    assert resp.status_code == 409 and len(hit) == 1


def test_single_item_writes_retry_a_transaction_conflict(client, tokens):
    """A write on an item inside someone's transaction fails with TransactionConflictException.

    (The reject this test used to drive is a transaction since issue 14 — it carries its audit
    record — and a 保証申込 is written with its frozen 保証料 in one transaction since issue 17, so
    the single-item write here is a 契約保証予約's PutItem, and the reject is checked against
    conflicting transactions below.)"""
    with dynamodb_calls.failing("PutItem", dynamodb_calls.error("TransactionConflictException"), times=2) as hit:
        resp = client.http.post(
            "/api/reservations", headers=bearer(tokens["contractor"], **JSON), body=json.dumps(reservation_body())
        )
    assert len(hit) == 2 and resp.status_code == 201, resp.body
    assert ReservationModel.get(body(resp)["id"]).status == "submitted"
    app = make_application()
    with dynamodb_calls.failing("TransactWriteItems", CONFLICT, times=2) as hit:
        resp = client.http.post(
            f"/api/staff/applications/{app.application_id}/reject",
            headers=bearer(tokens["staff"], **JSON),
            body=json.dumps({"reason": "書類不備"}),
        )
    assert len(hit) == 2 and resp.status_code == 200, resp.body
    assert ApplicationModel.get(app.application_id).status == "rejected"


def test_condition_failed_is_one_predicate_for_items_and_transactions():
    from botocore.exceptions import ClientError
    from pynamodb.connection.base import VerboseClientError
    from pynamodb.exceptions import PutError, TransactWriteError

    def verbose(response):
        return VerboseClientError(
            {"Error": response["Error"]},
            "Op",
            {},
            cancellation_reasons=[
                None if r["Code"] == "None" else type("R", (), {"code": r["Code"]})()
                for r in response.get("CancellationReasons", [])
            ],
        )

    item = PutError("x", ClientError(dynamodb_calls.error("ConditionalCheckFailedException"), "PutItem"))
    in_tx = TransactWriteError("x", verbose(dynamodb_calls.cancelled("None", "ConditionalCheckFailed")))
    conflict = TransactWriteError("x", verbose(CONFLICT))
    bare = TransactWriteError("DynamoDB unavailable")  # no botocore cause at all (e.g. a read timeout)
    assert tx.condition_failed(item) and tx.condition_failed(in_tx)
    assert not tx.condition_failed(conflict) and not tx.condition_failed(bare)
    assert tx.retryable(conflict) and not tx.retryable(in_tx) and not tx.retryable(bare)


def test_a_refused_commit_names_its_failed_items_in_the_order_they_were_added():
    # PynamoDB sends a transaction's puts before its updates, and DynamoDB's reasons follow the
    # request: positions are mapped back, and an item added with return_old comes back as it was.
    from chalicelib.store.models import AttemptModel

    AttemptModel("a:held", failures=3).save()
    writes = tx.Writes()
    writes.update(
        AttemptModel("a:held"),
        actions=[AttemptModel.failures.add(1)],
        condition=AttemptModel.failures < 3,
        return_old=True,
    )
    writes.put(AttemptModel("a:new", failures=1), condition=AttemptModel.key.does_not_exist())
    writes.put(AttemptModel("a:other", failures=1))
    AttemptModel("a:new", failures=9).save()  # the put's condition fails too
    with pytest.raises(tx.ConditionFailed) as refused:
        tx.commit(writes, what="test")
    assert tx.failed_items(refused.value) == {0, 1}
    assert set(refused.value.old) == {0}  # only the item that asked for it
    assert AttemptModel.from_raw_data(refused.value.old[0]).failures == 3
    assert AttemptModel.get("a:held").failures == 3 and AttemptModel.get("a:new").failures == 9  # nothing written
