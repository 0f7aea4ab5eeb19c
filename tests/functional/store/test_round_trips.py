"""Issue 11, item 3: DynamoDB round trips per request, counted on the shared client's events.

Counts are not timings: asserting them is exact and does not depend on the
machine. Targets: issuing an application with two electronic guarantees is one
transaction and at most three other calls (the session, the application, ONE
counter update); a submission with an Idempotency-Key, first or repeated, is at
most three calls.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from chalicelib.store import orderers
from chalicelib.store.models import OrdererModel
from tests import dynamodb_calls
from tests.factories import application_body, settle_fee
from tests.functional.conftest import bearer, body

JSON = {"Content-Type": "application/json"}


def submit(client, token, key=None, payload=None):
    headers = bearer(token, **JSON, **({"Idempotency-Key": key} if key else {}))
    return client.http.post("/api/applications", headers=headers, body=json.dumps(payload or application_body()))


def test_idempotent_submit_is_at_most_three_calls_first_and_repeated(client, tokens):
    with dynamodb_calls.recorded() as first:
        resp = submit(client, tokens["contractor"], "rt-1")
    assert resp.status_code == 201, resp.body
    assert len(first) <= 3, first
    assert first.count("TransactWriteItems") == 1  # the application and its key record together
    with dynamodb_calls.recorded() as repeat:
        again = submit(client, tokens["contractor"], "rt-1")
    assert again.status_code == 201 and body(again)["id"] == body(resp)["id"]
    assert len(repeat) <= 3, repeat
    with dynamodb_calls.recorded() as other:
        conflict = submit(client, tokens["contractor"], "rt-1", application_body(project__name="別の工事"))
    assert conflict.status_code == 409 and len(other) <= 3, other


def test_issue_of_two_electronic_guarantees_is_one_transaction_and_three_other_calls(client, tokens):
    submitted = body(submit(client, tokens["contractor"]))
    app_id = submitted["id"]
    settle_fee("application", app_id, submitted)  # issue 17: the 保証料 is paid before issuing
    with dynamodb_calls.recorded() as calls:
        resp = client.http.post(
            f"/api/staff/applications/{app_id}/issue", headers=bearer(tokens["staff"], **JSON), body=""
        )
    assert resp.status_code == 201, resp.body
    issued = body(resp)["guarantees"]
    assert [g["form"] for g in issued] == ["electronic", "electronic"]
    kinds = Counter(calls)
    assert kinds["TransactWriteItems"] == 1, calls
    others = [c for c in calls if c != "TransactWriteItems"]
    assert len(others) <= 3, calls
    assert kinds["UpdateItem"] == 1  # ONE counter update for both numbers
    serials = sorted(int(g["number"][6:12]) for g in issued)
    assert serials[1] == serials[0] + 1


def test_orderers_are_read_once_per_container_until_written_or_cleared(client, tokens):
    orderers.clear_cache()
    with dynamodb_calls.recorded() as calls:
        assert orderers.get("08216").name == "笠間市長"
        assert orderers.get("08201").e_surety is True
        assert [o.orderer_id for o in orderers.list_all()] == ["08201", "08216", "08999"]
        assert orderers.get("99999") is None
    assert calls == ["Query"]  # one Query on the directory index serves them all
    OrdererModel("08216", name="笠間市長(改)", e_surety=True).save()  # a write here is seen at once
    assert orderers.get("08216").name == "笠間市長(改)"
    with dynamodb_calls.recorded() as calls:
        orderers.get("08216")
        orderers.get("08201")
    assert calls == []


def test_the_orderer_cache_expires(monkeypatch):
    orderers.clear_cache()
    clock = {"now": 1000.0}
    monkeypatch.setattr(orderers.time, "monotonic", lambda: clock["now"])
    with dynamodb_calls.recorded() as calls:
        orderers.get("08216")
        clock["now"] += orderers.TTL_SECONDS - 1
        orderers.get("08216")
        clock["now"] += 2
        orderers.get("08216")
    assert calls == ["Query", "Query"]


@pytest.mark.parametrize("path", ["/api/orderers", "/api/orderers?e_surety=true"])
def test_orderer_list_answers_from_the_cache(client, path):
    client.http.get(path)
    with dynamodb_calls.recorded() as calls:
        resp = client.http.get(path)
    assert resp.status_code == 200 and calls == []
