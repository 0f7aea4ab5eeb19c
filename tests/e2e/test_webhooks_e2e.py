"""API.md "Webhooks" on the running local stack: its scheduled sender (a thread, every 0.2 s, the
24-hour backoff scaled to seconds) delivers to a receiver on 127.0.0.1 with valid Standard Webhooks
signatures, retries a failing receiver with the same event id, and refuses a host that resolves to
a private address at send time (logged `refused_target`)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.webhook_receiver import receiver

pytestmark = pytest.mark.e2e


def _until(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    return check()


def _register(stack, token: str, url: str) -> requests.Response:
    return requests.post(
        stack.url("/api/orderer/webhooks"),
        json={"url": url, "events": ["guarantee.changed"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_a_receiver_failing_twice_gets_the_same_signed_event_three_times(stack):
    token = stack.login("kasama", "demo-pass-4")
    auth = {"Authorization": f"Bearer {token}"}
    with receiver(500, 502) as hook:
        made = _register(stack, token, hook.url)
        assert made.status_code == 201, made.text
        hook.secret = made.json()["secret"]
        webhook = made.json()["webhook_id"]
        ping = requests.post(stack.url(f"/api/orderer/webhooks/{webhook}/test"), headers=auth, timeout=10)
        assert ping.status_code == 202
        assert _until(lambda: len(hook.received) >= 3), "\n".join(stack.lines[-20:])  # no /run: the schedule
    assert {r["headers"]["webhook-id"] for r in hook.received} == {ping.json()["event_id"]}
    assert all(hook.signed(r) for r in hook.received)
    log = _until(
        lambda: [
            i
            for i in requests.get(
                stack.url(f"/api/orderer/webhooks/{webhook}/deliveries"), headers=auth, timeout=10
            ).json()["items"]
            if i["state"] == "delivered"
        ]
    )
    assert log and log[0]["attempts"] == 3


def test_a_private_target_is_refused_at_registration_and_a_private_name_at_send(stack):
    token = stack.login("kasama", "demo-pass-4")
    assert _register(stack, token, "https://10.1.2.3/hook").status_code == 400
    made = _register(stack, token, "https://localhost:9/hook")  # a name: checked when sending
    assert made.status_code == 201
    webhook = made.json()["webhook_id"]
    auth = {"Authorization": f"Bearer {token}"}
    requests.post(stack.url(f"/api/orderer/webhooks/{webhook}/test"), headers=auth, timeout=10)
    logged = _until(lambda: [line for line in stack.lines if "refused_target" in line and webhook in line])
    assert logged, "\n".join(stack.lines[-20:])
    items = requests.get(stack.url(f"/api/orderer/webhooks/{webhook}/deliveries"), headers=auth, timeout=10).json()
    assert items["items"][0]["last_error"] == "refused_target"
