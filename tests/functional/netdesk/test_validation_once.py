"""Issue 10 item 5: the application body is checked against its JSON Schema exactly once per request.

The JSON route validates in `endpoint.api()` and the service then runs only the
rules; the three-step form's body is validated by `services.applications.review()`.
Before issue 10 the JSON route ran the schema twice (endpoint, then service).
"""

from __future__ import annotations

import json

import pytest

from chalicelib.domain import validation
from chalicelib.domain.application import APPLICATION_SCHEMA
from tests.factories import application_body, reservation_body
from tests.forms import APPLICATION_FORM as FORM
from tests.forms import cookie_login, hidden_fields, post_form
from tests.functional.conftest import bearer, body
from tests.journeys import post_application


@pytest.fixture
def schema_runs(monkeypatch) -> list[object]:
    """Every body `validation.validate` is asked to check against APPLICATION_SCHEMA."""
    seen: list[object] = []
    real = validation.validate

    def counting(data, schema):
        if schema is APPLICATION_SCHEMA:
            seen.append(data)
        return real(data, schema)

    monkeypatch.setattr(validation, "validate", counting)
    return seen


def test_json_route_validates_once_when_valid(client, tokens, schema_runs):
    resp = post_application(client, tokens["contractor"], application_body())
    assert resp.status_code == 201, resp.body
    assert len(schema_runs) == 1


def test_json_route_validates_once_when_rules_fail(client, tokens, schema_runs):
    resp = post_application(client, tokens["contractor"], application_body(advance_payment__amount=30_000_000))
    assert resp.status_code == 400
    assert [e["field"] for e in body(resp)["errors"]] == ["advance_payment.amount"]
    assert len(schema_runs) == 1


def test_json_route_lists_schema_and_rule_errors_together(client, tokens, schema_runs):
    """Issue 23: a schema error (an unknown field, a missing one) no longer hides a rule's (API.md: every bad
    field of a body at once); the schema still runs once."""
    payload = application_body(advance_payment__amount=30_000_000)  # a rule error …
    payload["extra"] = 1  # … and a schema error
    del payload["project"]["name"]  # … and a missing field
    payload["delivery"]["mail_to"]["postal_code"] = "3091792x"  # … and a bad postal code
    resp = post_application(client, tokens["contractor"], payload)
    assert resp.status_code == 400
    errors = {e["field"]: e["code"] for e in body(resp)["errors"]}
    assert errors == {
        "extra": "invalid",
        "project.name": "required",
        "advance_payment.amount": "invalid",
        "delivery.mail_to.postal_code": "invalid",
    }
    assert len(schema_runs) == 1


def test_form_confirm_and_submit_each_validate_once(client, schema_runs):
    cookie, csrf = cookie_login(client)
    confirm = post_form(client, cookie, {**FORM, "csrf_token": csrf, "step": "confirm"})
    assert confirm.status_code == 200
    assert len(schema_runs) == 1
    done = post_form(client, cookie, {**hidden_fields(confirm.body.decode()), "step": "submit"})
    assert done.status_code == 303
    assert len(schema_runs) == 2


def test_form_shows_schema_and_rule_errors_together(client, schema_runs):
    cookie, csrf = cookie_login(client)
    bad = {**FORM, "csrf_token": csrf, "step": "confirm", "project.contract_amount": "abc", "bid.award_date": "x"}
    resp = post_form(client, cookie, bad)
    assert resp.status_code == 400
    html = resp.body.decode()
    assert 'id="err-project-contract_amount"' in html and 'id="err-bid-award_date"' in html
    assert len(schema_runs) == 1


@pytest.mark.parametrize("path", ["/api/applications", "/api/reservations"])
def test_a_value_of_the_wrong_json_type_is_a_400_not_a_500(client, tokens, path):
    """The rules run beside the schema (every bad field at once); an object where a string belongs
    (found by the fuzzer) is the schema's 400, never a crash of the rules."""
    payload = application_body() if path == "/api/applications" else reservation_body()
    payload["delivery"]["branch_id"] = {}
    payload["project"]["orderer_id"] = {"x": 1}
    resp = client.http.post(
        path, headers=bearer(tokens["contractor"], **{"Content-Type": "application/json"}), body=json.dumps(payload)
    )
    assert resp.status_code == 400, resp.body
    assert {"delivery.branch_id", "project.orderer_id"} <= {e["field"] for e in body(resp)["errors"]}
