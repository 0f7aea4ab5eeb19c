"""Issue 3: twelve concurrent submissions with one Idempotency-Key against the running local stack."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from tests.factories import application_body

pytestmark = pytest.mark.e2e


def _count(stack, token: str) -> int:
    total, cursor = 0, None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        resp = requests.get(
            stack.url("/api/applications"), params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert resp.status_code == 200, resp.text
        page = resp.json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


def test_twelve_concurrent_submissions_with_one_key_create_one_application(stack):
    token = stack.login("demo-contractor", "demo-pass-1")
    before = _count(stack, token)
    key = str(uuid.uuid4())
    barrier = threading.Barrier(12)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        resp = requests.post(
            stack.url("/api/applications"),
            json=application_body(),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            timeout=60,
        )
        with lock:
            answers.append(resp)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [r.status_code for r in answers] == [201] * 12, [r.text for r in answers if r.status_code != 201]
    ids = {r.json()["id"] for r in answers}
    assert len(ids) == 1
    assert _count(stack, token) == before + 1
    # And the application is readable as the first answer described it.
    got = requests.get(
        stack.url(f"/api/applications/{ids.pop()}"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert got.status_code == 200 and got.json() == answers[0].json()
