"""Issue 15, item 7: faults injected into the notify trigger (the completion mail).

After each, exactly one mail per certificate version — whatever was retried. Submission's half of
the fault matrix is tests/functional/netdesk/test_submit_faults.py.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from chalicelib.store import claims, guarantees, mailer, tx
from tests.dynamodb_calls import fault as dynamodb_fault
from tests.factories import make_guarantee
from tests.streams import deliver, event, failed, mails, record

NUMBER = "30026-000001M"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(tx, "backoff", lambda attempt: 0.0)


def _one_mail_per_version(client) -> None:
    sent = [m for m in mails(client) if NUMBER in (m.get("text") or "") or m.get("subject")]
    assert len(sent) == 1, sent


def test_a_lost_reply_after_marking_sent_does_not_send_again(client):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(guarantees.version(NUMBER, 1), 1))
    lost = ReadTimeoutError(endpoint_url="lost")
    with dynamodb_fault("UpdateItem", when="after", error=lost, table="-notifications") as hits:
        first = deliver(client, evt)
    assert hits, "the mark is an UpdateItem on the claim"
    assert first["batchItemFailures"] in ([], [failed(1)])  # reported for a retry, or read back as sent
    assert claims.NOTIFICATIONS.read(f"{NUMBER}#1").status == "sent"  # the write took effect
    assert deliver(client, evt) == {"batchItemFailures": []}
    assert deliver(client, evt) == {"batchItemFailures": []}
    _one_mail_per_version(client)


def test_a_timeout_on_the_claim_sends_nothing_and_the_retry_sends_one(client):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(guarantees.version(NUMBER, 1), 1))
    error = ConnectTimeoutError(endpoint_url="down")
    with dynamodb_fault("PutItem", when="before", error=error, times=50, table="-notifications"):
        assert deliver(client, evt) == {"batchItemFailures": [failed(1)]}
    assert mails(client) == []
    assert deliver(client, evt) == {"batchItemFailures": []}
    _one_mail_per_version(client)


def test_a_timeout_reading_the_guarantee_is_retried_not_dropped(client):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(guarantees.version(NUMBER, 1), 1))
    with dynamodb_fault("GetItem", when="before", error=ConnectTimeoutError(endpoint_url="down"), times=50):
        assert deliver(client, evt) == {"batchItemFailures": [failed(1)]}
    assert mails(client) == []
    assert deliver(client, evt) == {"batchItemFailures": []}
    _one_mail_per_version(client)


def test_ses_throttling_for_every_try_keeps_the_record_until_ses_recovers(client, monkeypatch):
    make_guarantee(NUMBER, auth_key="Z28YUE4J3Bux")
    evt = event(record(guarantees.version(NUMBER, 1), 1))
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
