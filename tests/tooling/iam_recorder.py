"""A pytest plugin that records, per Lambda function, every AWS operation the journey's tests make.

tests/conftest.py loads it in every pytest process (before anything creates a client), and
tests/tooling/test_iam_least_privilege.py compares what it recorded with the roles. The journey
(JOURNEY: the fewest functional tests that together make every call) is recorded while the
suite runs it anyway: its tests share an xdist group with the IAM tests, which come after them
in collection order, so one worker runs the journey and then checks it. When the journey did not
run in this process (the IAM tests run alone, or a journey test failed), the IAM test runs it in a
subprocess with IAM_RECORD set, and this plugin writes the JSON there at the end of that session.
It patches:

- `botocore.session.Session.create_client`, so every client (boto3's and
  PynamoDB's own sessions alike) gets botocore `before-call` and presign
  (`before-parameter-build.s3.GetObject`) handlers;
- Chalice's two entry points, so each call is attributed to the function that
  Lambda would run: `Chalice.__call__` is the API function (`app.app`),
  `EventSourceHandler.__call__` an event function, named by its handler
  (`certificate_stream` is "stream", `event_stream` "events" (issue 14), `ses_feedback` the
  SES feedback function).
  Calls made by test set-up (provisioning, seeding, factories, bin/admin) belong
  to none and are not recorded; neither is anything outside the journey's tests.
"""

from __future__ import annotations

import contextvars
import json
import os
from typing import Any

import botocore.session
import pytest
from chalice import app as chalice_app

#: The journey: the fewest tests of the functional suite that together make every call (function,
#: action, resource) that the whole of their modules made — API Gateway's two doors, the page walk,
#: a deployed stage's SSM reads and mail, idempotent submission, a change and a key reissue through
#: the stream functions, bounces, the admin API and a machine client, a cold read of the rate table.
#: Chosen greedily from a per-test recording of the 83 tests the journey used to run (the same 112
#: calls, a fifth of the time). The check is two-way: a grant that no test here exercises fails
#: `test_every_grant_is_used_by_that_function`, so a new grant brings the test that uses it here.
JOURNEY = (
    "tests/functional/web/test_api_gateway.py::test_page_walk_every_link_of_a_journey_stays_under_the_prefix[execute-api]",
    "tests/functional/streams/test_event_notices.py::test_key_reissue_mails_the_contractor_once_without_either_key",
    "tests/functional/web/test_stage_config.py::test_a_deployed_stage_signs_sessions_with_the_secret_from_ssm",
    "tests/functional/streams/test_notify.py::test_a_new_version_through_the_stream_moves_the_orderers_inbox",
    "tests/functional/web/test_stage_config.py::test_a_deployed_stage_mails_as_its_own_sender_with_its_public_url",
    "tests/functional/admin/test_admin.py::test_new_municipality_onboarded_through_the_admin_api_verifies_by_page_and_by_client",
    "tests/functional/web/test_stage_config.py::test_a_deployed_stage_sends_staff_notices_as_its_own_sender_with_its_public_url",
    "tests/functional/web/test_api_gateway.py::test_a_form_kept_across_an_expired_session_comes_back_under_the_door_prefix[execute-api]",
    "tests/functional/netdesk/test_applications.py::test_same_key_same_body_creates_one_and_returns_the_first_answer",
    "tests/functional/web/test_api_gateway.py::test_login_sets_cookies_scoped_to_the_door_prefix_and_logout_clears_them[execute-api]",
    "tests/functional/streams/test_notify.py::test_same_record_delivered_three_times_sends_one_mail",
    "tests/functional/admin/test_admin.py::test_admin_input_errors_are_field_level",
    "tests/functional/accounts/test_clients.py::test_client_token_is_scoped_to_dsure_api_and_revocation_is_immediate",
    "tests/functional/streams/test_bounces.py::test_a_published_bounce_suppresses_the_address_and_no_mail_goes_to_it",
    "tests/functional/admin/test_orderers.py::test_an_empty_patch_answers_the_orderer_unchanged_and_a_missing_one_is_404",
    "tests/functional/staff/test_fees.py::test_a_new_container_reads_the_rate_table_the_stage_loaded",
    "tests/functional/streams/test_event_notices.py::test_a_key_reissue_flags_the_inbox_and_tells_the_orderer_holding_the_old_key",
    "tests/functional/accounts/test_reset.py::test_at_most_three_reset_mails_per_login_an_hour",
    "tests/functional/web/test_stage_config.py::test_a_deployed_stage_seals_totp_secrets_with_its_kms_key",
    "tests/functional/staff/test_signing.py::test_a_pdf_signed_by_the_kms_key_under_the_stage_chain_validates",
    # Issue 29: deliveries (API), a new version followed (certificates stream), a key reissue followed (events)
    "tests/functional/dsure/test_deliveries.py::test_a_change_brings_a_received_delivery_back_at_the_new_version_and_an_old_decision_is_409",
    "tests/functional/dsure/test_deliveries.py::test_a_key_reissue_brings_the_delivery_back_at_the_same_version",
    # Issue 30: webhooks registered, pinged and logged (API); events queued by both stream functions.
    "tests/functional/dsure/test_webhooks.py::test_a_machine_client_registers_and_pings_with_a_valid_signature",
    "tests/functional/dsure/test_webhooks.py::test_changes_cancellation_and_key_reissue_reach_the_orderer_that_verified_it",
    "tests/functional/streams/test_reminders.py::test_the_scheduled_functions_as_lambda_calls_them_remind_users_and_send_the_event",
    # The daily job re-issues the stage CA's CRL: kms:Sign with the CA key, the bucket's signing/ objects.
    "tests/functional/staff/test_signing.py::test_the_daily_job_as_lambda_runs_it_reissues_a_due_crl_that_validates_against_the_chain",
)
#: The xdist group of the journey and of the IAM tests (which come after it in collection order).
GROUP = "iam-recording"

_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("lambda_function", default=None)
RECORDED: set[tuple[str, str, str, str]] = set()  # (function, service, operation, resource)
_in_journey = False  # a journey test is running (set up, called, torn down)
_passed: set[str] = set()  # journey tests whose every phase passed in this process
_failed: set[str] = set()


def _journey_id(item_or_report: Any) -> str:
    """The test's id without the `@group` suffix xdist's loadgroup adds."""
    return item_or_report.nodeid.split("@", 1)[0]


def journey_calls() -> list[tuple[str, str, str, str]] | None:
    """What the journey recorded in this process, or None unless every journey test passed here."""
    if _passed != set(JOURNEY) or _failed:
        return None
    return sorted(RECORDED)


def _resources(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(operation, resource) pairs; a transaction is recorded as the item operations IAM checks."""
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        kinds = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem",
        }
        out = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                out.append((kinds[kind], body["TableName"]))
        return out
    if service == "dynamodb" and operation in ("BatchGetItem", "BatchWriteItem"):
        return [(operation, table) for table in params.get("RequestItems", {})]
    if service == "kms" and operation == "Sign":  # which of the two signing keys (settings.py's ids)
        return [(operation, SIGNING_KEYS.get(str(params.get("KeyId")), str(params.get("KeyId"))))]
    if service == "s3" and operation == "PutObject" and params.get("Tagging"):
        return [(operation, params["Bucket"]), ("PutObjectTagging", params["Bucket"])]  # IAM wants both
    for key in ("TableName", "Bucket", "Source", "Name", "QueueUrl", "StreamArn"):
        if key in params:
            return [(operation, str(params[key]))]
    if "Names" in params:
        return [(operation, n) for n in params["Names"]]
    return [(operation, "*")]


class _SigningKeys:
    """KeyId → "key:signing" (PDFs) or "key:signing-ca" (the CA: certificates, CRLs), read from
    the environment at the call (a test sets SIGNING_KEY_ID / SIGNING_CA_KEY_ID to moto's keys)."""

    def get(self, key_id: str, default: str) -> str:
        names = {os.environ.get("SIGNING_KEY_ID"): "key:signing", os.environ.get("SIGNING_CA_KEY_ID"): "key:signing-ca"}
        return names.get(key_id, default)


SIGNING_KEYS = _SigningKeys()


def _record(service: str, operation: str, params: dict[str, Any]) -> None:
    function = _FUNCTION.get()
    if function is None or not _in_journey:
        return
    for op, resource in _resources(service, operation, params):
        RECORDED.add((function, service, op, resource))


def _keep_params(params: dict[str, Any], model: Any, context: dict[str, Any], **kwargs: Any) -> None:
    """`before-parameter-build` sees the caller's parameters: keep them for `before-call`.

    A presigned URL makes no call (so no `before-call`), but the holder of the URL
    acts with the signer's permissions: it is recorded here.
    """
    if not _in_journey:
        return
    context["iam_params"] = dict(params)
    if context.get("is_presign_request"):
        _record(model.service_model.service_name, model.name, params)


def _before_call(model: Any, params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
    _record(model.service_model.service_name, model.name, context.get("iam_params", {}))


_create_client = botocore.session.Session.create_client


def _create_client_recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
    client = _create_client(self, *args, **kwargs)
    client.meta.events.register("before-parameter-build", _keep_params)
    client.meta.events.register("before-call", _before_call)
    return client


#: Event handlers (by Python name) → the function name the test uses.
EVENT_FUNCTIONS = {"certificate_stream": "stream", "event_stream": "events", "ses_feedback": "ses_feedback"}


def _entry(name: str | None, original: Any) -> Any:
    def call(self: Any, event: Any, context: Any) -> Any:
        function = name or EVENT_FUNCTIONS.get(self.func.__name__, self.func.__name__)
        token = _FUNCTION.set(function)
        try:
            return original(self, event, context)
        finally:
            _FUNCTION.reset(token)

    return call


botocore.session.Session.create_client = _create_client_recorded
chalice_app.Chalice.__call__ = _entry("api", chalice_app.Chalice.__call__)
chalice_app.EventSourceHandler.__call__ = _entry(None, chalice_app.EventSourceHandler.__call__)


@pytest.hookimpl(tryfirst=True)  # before xdist adds the group to the node ids
def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if item.nodeid in JOURNEY:
            item.add_marker(pytest.mark.xdist_group(GROUP))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    global _in_journey
    _in_journey = _journey_id(item) in JOURNEY
    try:
        yield
    finally:
        _in_journey = False


def pytest_runtest_logreport(report: Any) -> None:
    ident = _journey_id(report)
    if ident not in JOURNEY:
        return
    if report.failed:
        _failed.add(ident)
    elif report.when == "call" and report.passed:
        _passed.add(ident)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("IAM_RECORD")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(sorted(RECORDED), f, indent=1)
