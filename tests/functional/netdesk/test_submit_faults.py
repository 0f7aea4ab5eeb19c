"""Issue 15, item 7: faults injected into submission and the notify trigger.

The issue / version / reissue half of the fault matrix is `tests/functional/staff/test_documents.py`.
Here: a DynamoDB reply lost after the commit, a timeout before a call, a
transaction conflict and SES throttling, at each step of 申込 (POST
/api/applications with an Idempotency-Key) and of the completion mail. After
each the invariant is checked: one application per key, nothing half-written,
and exactly one mail per certificate version — whatever was retried.
"""

from __future__ import annotations

import contextlib
import itertools
import json

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from chalicelib.store import mailer, tx
from chalicelib.store.connection import dynamodb_client
from chalicelib.store.models import ApplicationModel, CertificateModel, IdempotencyModel, NotificationModel
from tests.factories import application_body, make_guarantee
from tests.functional.conftest import bearer, body
from tests.functional.streams.test_notify import deliver, event, failed, mails, record

JSON = {"Content-Type": "application/json"}
NUMBER = "30026-000001M"
_ids = itertools.count()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(tx, "backoff", lambda attempt: 0.0)


@contextlib.contextmanager
def dynamodb_fault(operation: str, *, when: str, error: Exception, times: int = 1, table: str | None = None):
    """`when="after"`: the call reached DynamoDB and took effect, then its reply was lost;
    `when="before"`: it never left the client. `table`: only calls on the table whose name ends so."""
    hits: list[int] = []

    def mark(params=None, context=None, **_kwargs):
        names = [params.get("TableName", "")] if params else []
        names += [next(iter(i.values())).get("TableName", "") for i in (params or {}).get("TransactItems", [])]
        context["fault"] = table is None or any(n.endswith(table) for n in names)

    def fault(context=None, **_kwargs):
        if context.get("fault") and len(hits) < times:
            hits.append(1)
            raise error

    events = dynamodb_client().meta.events
    uid = f"fault-{next(_ids)}"
    events.register(f"before-parameter-build.dynamodb.{operation}", mark, unique_id=uid + "-mark")
    events.register(f"{when}-call.dynamodb.{operation}", fault, unique_id=uid)
    try:
        yield hits
    finally:
        events.unregister(f"{when}-call.dynamodb.{operation}", unique_id=uid)
        events.unregister(f"before-parameter-build.dynamodb.{operation}", unique_id=uid + "-mark")


def submit(client, tokens, key: str, payload: dict | None = None):
    headers = bearer(tokens["contractor"], **JSON, **{"Idempotency-Key": key})
    return client.http.post("/api/applications", headers=headers, body=json.dumps(payload or application_body()))


def applications() -> list[ApplicationModel]:
    return list(ApplicationModel.scan())


def assert_one_application_per_key() -> None:
    """Nothing half-written: every key record names a stored application, and no two keys one."""
    apps = {a.application_id for a in applications()}
    named = [(r.response or {}).get("id") for r in IdempotencyModel.scan() if r.response]
    assert all(i in apps for i in named), (named, apps)


# --- submission ---------------------------------------------------------------------------


def test_a_lost_reply_after_the_submit_commit_then_the_retry_answers_the_same_application(client, tokens):
    with dynamodb_fault("TransactWriteItems", when="after", error=ReadTimeoutError(endpoint_url="lost")) as hits:
        first = submit(client, tokens, "fault-1")
    assert hits
    # Ambiguous to the API: a 503 the client retries with the same key — never a 500, never two.
    assert first.status_code == 503 and first.headers.get("Retry-After"), first.body
    retry = submit(client, tokens, "fault-1")
    assert retry.status_code == 201, retry.body
    assert len(applications()) == 1 and applications()[0].application_id == body(retry)["id"]
    assert_one_application_per_key()


def test_a_transaction_conflict_on_submit_is_retried_into_one_application(client, tokens):
    conflict = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )
    with dynamodb_fault("TransactWriteItems", when="before", error=conflict, times=2) as hits:
        resp = submit(client, tokens, "fault-2")
    assert len(hits) == 2 and resp.status_code == 201, resp.body
    assert len(applications()) == 1
    assert_one_application_per_key()


@pytest.mark.parametrize(
    ("operation", "status"),
    # The session and the key's record are read (GetItem), the key written with the application
    # (one transaction); a keyed submission makes no PutItem, so that outage does not touch it.
    [("GetItem", 503), ("TransactWriteItems", 503), ("PutItem", 201)],
)
def test_a_timeout_before_any_submit_write_is_a_503_that_changes_nothing(client, tokens, operation, status):
    before = len(applications())
    error = ConnectTimeoutError(endpoint_url="down")
    with dynamodb_fault(operation, when="before", error=error, times=50):
        resp = submit(client, tokens, f"fault-3-{operation}")
    assert resp.status_code == status, resp.body
    if status == 503:
        assert resp.headers.get("Retry-After")
        assert len(applications()) == before
    assert submit(client, tokens, f"fault-3-{operation}").status_code == 201
    assert len(applications()) == before + 1
    assert_one_application_per_key()


def test_ses_throttling_on_submit_is_not_a_thing_submission_waits_for(client, tokens, monkeypatch):
    # Submission sends no mail (the notices go through the stream): an SES outage cannot fail it.
    def down(_mail):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "SendRawEmail")

    monkeypatch.setattr(mailer, "send", down)
    assert submit(client, tokens, "fault-4").status_code == 201


# --- the completion mail ------------------------------------------------------------------


def _one_mail_per_version(client) -> None:
    sent = [m for m in mails(client) if NUMBER in (m.get("text") or "") or m.get("subject")]
    assert len(sent) == 1, sent


def test_a_lost_reply_after_marking_sent_does_not_send_again(client):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(CertificateModel.get(NUMBER, 1), 1))
    lost = ReadTimeoutError(endpoint_url="lost")
    with dynamodb_fault("UpdateItem", when="after", error=lost, table="-notifications") as hits:
        first = deliver(client, evt)
    assert hits, "the mark is an UpdateItem on the claim"
    assert first["batchItemFailures"] in ([], [failed(1)])  # reported for a retry, or read back as sent
    assert NotificationModel.get(f"{NUMBER}#1").status == "sent"  # the write took effect
    assert deliver(client, evt) == {"batchItemFailures": []}
    assert deliver(client, evt) == {"batchItemFailures": []}
    _one_mail_per_version(client)


def test_a_timeout_on_the_claim_sends_nothing_and_the_retry_sends_one(client):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(CertificateModel.get(NUMBER, 1), 1))
    error = ConnectTimeoutError(endpoint_url="down")
    with dynamodb_fault("PutItem", when="before", error=error, times=50, table="-notifications"):
        assert deliver(client, evt) == {"batchItemFailures": [failed(1)]}
    assert mails(client) == []
    assert deliver(client, evt) == {"batchItemFailures": []}
    _one_mail_per_version(client)


def test_a_timeout_reading_the_guarantee_is_retried_not_dropped(client):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(CertificateModel.get(NUMBER, 1), 1))
    with dynamodb_fault("GetItem", when="before", error=ConnectTimeoutError(endpoint_url="down"), times=50):
        assert deliver(client, evt) == {"batchItemFailures": [failed(1)]}
    assert mails(client) == []
    assert deliver(client, evt) == {"batchItemFailures": []}
    _one_mail_per_version(client)


def test_ses_throttling_for_every_try_keeps_the_record_until_ses_recovers(client, monkeypatch):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(CertificateModel.get(NUMBER, 1), 1))
    real_send = mailer.send

    def throttled(_mail):
        raise ClientError(
            {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendRawEmail"
        )

    monkeypatch.setattr(mailer, "send", throttled)
    for _ in range(3):
        assert deliver(client, evt) == {"batchItemFailures": [failed(1)]}
    assert mails(client) == []
    monkeypatch.setattr(mailer, "send", real_send)
    assert deliver(client, evt) == {"batchItemFailures": []}
    assert deliver(client, evt) == {"batchItemFailures": []}
    _one_mail_per_version(client)
