"""An admin's PATCH of an orderer that changes nothing still checks the orderer exists.

The change and its audit record are one transaction (store/organisations.py); with nothing to
update, the orderer is a condition check in that transaction (DynamoDB's ConditionCheckItem,
which the API function's role must therefore grant: tests/tooling/test_iam_least_privilege.py
runs this module in its journey).
"""

from __future__ import annotations

import json

from tests import tables
from tests.functional.conftest import bearer, body, login

JSON = {"Content-Type": "application/json"}


def _patch(client, token: str, orderer_id: str, payload: dict):
    return client.http.patch(
        f"/api/admin/orderers/{orderer_id}", headers={**bearer(token), **JSON}, body=json.dumps(payload)
    )


def test_an_empty_patch_answers_the_orderer_unchanged_and_a_missing_one_is_404(client):
    admin = login(client, "admin", "demo-pass-7")["token"]
    audited = tables.count("audit", pk="all")
    resp = _patch(client, admin, "08216", {})
    assert resp.status_code == 200, resp.body
    assert body(resp) == {"id": "08216", "name": "笠間市長", "e_surety": True}
    assert tables.count("audit", pk="all") == audited + 1  # the (empty) change is recorded like any other

    missing = _patch(client, admin, "09999", {})
    assert missing.status_code == 404
    assert tables.count("audit", pk="all") == audited + 1  # the failed check wrote no record either
    listed = {o["id"] for o in body(client.http.get("/api/orderers"))["items"]}
    assert "09999" not in listed
