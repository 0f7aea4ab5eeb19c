"""Issue 15, item 7: faults injected into submission.

The issue / version / reissue half of the fault matrix is `tests/functional/staff/test_documents.py`,
the completion mail's `tests/functional/streams/test_notify_faults.py`.
Here: a DynamoDB reply lost after the commit, a timeout before a call, a
transaction conflict and SES throttling, at each step of 申込 (POST
/api/applications with an Idempotency-Key). After each the invariant is checked:
one application per key, nothing half-written — whatever was retried.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from chalicelib.store import mailer, tx
from tests import tables
from tests.dynamodb_calls import fault as dynamodb_fault
from tests.factories import application_body
from tests.functional.conftest import bearer, body

JSON = {"Content-Type": "application/json"}
NUMBER = "30026-000001M"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(tx, "backoff", lambda attempt: 0.0)


def submit(client, tokens, key: str, payload: dict | None = None):
    headers = bearer(tokens["contractor"], **JSON, **{"Idempotency-Key": key})
    return client.http.post("/api/applications", headers=headers, body=json.dumps(payload or application_body()))


def applications() -> list[dict]:
    return tables.rows("applications")


def assert_one_application_per_key() -> None:
    """Nothing half-written: every key record names a stored application, and no two keys one."""
    apps = {a["application_id"] for a in applications()}
    named = [json.loads(r["response"]).get("id") for r in tables.rows("idempotency") if r.get("response")]
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
    assert len(applications()) == 1 and applications()[0]["application_id"] == body(retry)["id"]
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
