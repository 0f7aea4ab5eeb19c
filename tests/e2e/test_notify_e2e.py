"""Issue 5 e2e: a certificate version written on the running local stack is mailed within 2 s.

The stream pump of the stack feeds the certificates stream to the trigger, as
Lambda's event-source mapping does in AWS; the mail is read from the local
outbox over HTTP.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.factories import make_guarantee

pytestmark = pytest.mark.e2e


def test_written_version_is_mailed_within_two_seconds(stack):
    number = "30026-900001M"
    address = "e2e-notify@example.co.jp"
    before = len(requests.get(stack.url("/api/dev/outbox"), timeout=10).json()["items"])

    with stack.writes_here():  # the factory's guarantee and version 1, written into the stack's moto
        make_guarantee(number=number, email=address, auth_key="Qm7xR4kT9wZa")
    start = time.monotonic()
    found = None
    while time.monotonic() - start < 2.0 and found is None:
        resp = requests.get(stack.url("/api/dev/outbox"), timeout=5)
        assert resp.status_code == 200, "\n".join(stack.lines[-30:])
        items = resp.json()["items"][before:]
        found = next((m for m in items if m["to"] == [address]), None)
        if found is None:
            time.sleep(0.05)
    assert found is not None, "no mail in the outbox within 2 s"
    assert found["subject"] == "電子保証（認証キー）発行完了のお知らせ"
    assert number in found["body"]
    assert stack.url(f"/netdesk/guarantees/{number}") in found["body"]
    assert "Qm7xR4kT9wZa" not in found["body"]

    # Once only: the pump may redeliver, the outbox still has one mail for this version.
    time.sleep(0.5)
    items = requests.get(stack.url("/api/dev/outbox"), timeout=5).json()["items"][before:]
    assert [m["to"] for m in items].count([address]) == 1
    page = requests.get(stack.url("/dev/outbox"), timeout=5).text
    assert "電子保証（認証キー）発行完了のお知らせ" in page
