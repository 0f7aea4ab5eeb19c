"""Issue 4: 100 applications issued concurrently over HTTP against the local stack."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import start_stack
from tests.factories import application_body

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def busy_stack():
    """A stack of its own: 167 new certificates keep its stream pump busy mailing for a while,
    which must not slow the 2-second checks of other tests."""
    s = start_stack()
    yield s
    s.stop()


NUMBER = re.compile(r"^\d{5}-\d{6}[MK]$")


def test_hundred_applications_issued_concurrently(busy_stack):
    stack = busy_stack
    ids = []
    for i in range(100):
        # Every third one asks for a paper advance guarantee only: mixed shapes, one or two guarantees.
        form = (
            application_body(advance_payment__form="paper", contract_guarantee=None)
            if i % 3 == 0
            else application_body()
        )
        ids.append((stack.put_paid_application(f"e2e-{i:03d}", form), 1 if i % 3 == 0 else 2))  # 保証料 paid
    token = stack.login("ibaraki-staff", "demo-pass-3")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def issue(app_id: str) -> requests.Response:
        return requests.post(
            stack.url(f"/api/staff/applications/{app_id}/issue"), headers=headers, data="", timeout=600
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        first = list(pool.map(issue, [i for i, _ in ids]))
    assert [r.status_code for r in first] == [201] * 100, [r.text for r in first if r.status_code != 201][:3]
    numbers = []
    for (_app_id, expected), resp in zip(ids, first, strict=True):
        guarantees = resp.json()["guarantees"]
        assert len(guarantees) == expected
        for g in guarantees:
            assert NUMBER.match(g["number"]), g["number"]
            assert (g["auth_key"] is None) == (g["form"] == "paper")
            numbers.append(g["number"])
    assert len(numbers) >= 100 and len(numbers) == len(set(numbers))

    with ThreadPoolExecutor(max_workers=16) as pool:
        second = list(pool.map(issue, [i for i, _ in ids]))
    assert [r.status_code for r in second] == [409] * 100
