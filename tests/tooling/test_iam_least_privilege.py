"""Issue 12: each function's role holds exactly what its code calls.

A journey of the functional suite runs in a subprocess with `tests/tooling/iam_recorder.py`,
which hooks botocore's `before-call` (and presign) events on every client and
attributes each operation to the Lambda function that made it (the API
function `app.app`, or the certificate-stream function). The recorded
operations are then compared with the roles of `.chalice/resources.json`, both
ways: every call is allowed on its resource, and every granted action and
every granted table is used by that function (per action and table, not per
pair: one statement per service keeps the template readable). A new call
without its grant, or a grant nobody uses, fails here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict

import pytest

from devstack import cfn
from tests.conftest import ROOT

#: The journey: the fewest tests of the functional suite that together make every call (function,
#: action, resource) that the whole of their modules made — API Gateway's two doors, the page walk,
#: a deployed stage's SSM reads and mail, idempotent submission, a change and a key reissue through
#: the stream functions, bounces, the admin API and a machine client, a cold read of the rate table.
#: Chosen greedily from a per-test recording of the 83 tests the journey used to run (the same 112
#: calls, a fifth of the time). The check is two-way: a grant that no test here exercises fails
#: `test_every_grant_is_used_by_that_function`, so a new grant brings the test that uses it here.
JOURNEY = [
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
]
ROLES = {
    "api": "ApiHandlerRole",
    "stream": "CertificateStreamRole",
    "events": "EventStreamRole",
    "ses_feedback": "SesFeedbackRole",
    # Issue 30: the scheduled functions, invoked as EventBridge invokes them
    "webhook_sender": "WebhookSenderRole",
    "daily_reminders": "DailyRemindersRole",
}
#: What only a deployed stage calls, which the local journey cannot: the sender opens a KMS-sealed
#: secret (locally the wrapping key is derived), the reminders read the stage's parameters (locally
#: defaults). Exempt from "every grant is used" for the scheduled functions only.
DEPLOYED_ONLY = {"webhook_sender": {"kms:Decrypt"}, "daily_reminders": {"ssm:GetParameters"}}
#: Granted for AWS to act on the function's behalf, never called by its code.
PLATFORM = {
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",  # Lambda writes the function's logs
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",  # the event-source mapping polls the stream as the function
    "sqs:SendMessage",  # the mapping's on-failure destination (and an async function's DLQ) is written as the function
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",  # active tracing: Lambda sends the function's segments
}
#: API operations that IAM authorises under another action's name (S3's HEAD is a GetObject, its
#: listing a ListBucket): the grant to look for is the IAM action, not the operation.
IAM_ACTION = {"s3:HeadObject": "s3:GetObject", "s3:ListObjectsV2": "s3:ListBucket", "s3:ListObjects": "s3:ListBucket"}
TABLE_PREFIX = re.compile(r"^esurety-[a-z0-9-]+?-(?P<table>[a-z_]+)$")

#: The journey takes minutes: it is recorded once per run. One xdist group keeps every test of this
#: module on one worker and a session scope keeps the recording alive even when that worker runs other
#: modules' tests between these (a module fixture would be torn down and recorded again).
pytestmark = pytest.mark.xdist_group("iam-recording")


@pytest.fixture(scope="session")
def recorded(tmp_path_factory) -> dict[str, set[tuple[str, str]]]:
    out = tmp_path_factory.mktemp("iam") / "calls.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["IAM_RECORD"] = str(out)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.tooling.iam_recorder",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
            *JOURNEY,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    calls: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for function, service, operation, resource in json.loads(out.read_text()):
        action = f"{service}:{operation}"
        # kms:Sign names its key: the recorder told the PDF signing key from the CA's (issue 31).
        where = resource if action == "kms:Sign" else _resource(service, resource)
        calls[function].add((IAM_ACTION.get(action, action), where))
    return calls


def _resource(service: str, name: str) -> str:
    if service == "dynamodb":
        m = TABLE_PREFIX.match(name)
        return f"table:{m.group('table')}" if m else name
    if service == "s3":
        return "bucket:pdf"
    if service == "ssm":
        return "parameter:" + name.rsplit("/", 1)[-1]
    if service == "ses":
        return "sender"
    if service == "kms":
        return "key:secrets"
    return name


def _granted(role: str) -> dict[str, set[str]]:
    """action → the resources the role grants it on (in the recorder's vocabulary)."""
    logical_to_table = {cfn.logical_id(name): name for name in cfn.ALL_MODELS}
    statements = cfn.template()["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    out: dict[str, set[str]] = defaultdict(set)
    for st in statements:
        assert st["Effect"] == "Allow"
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        names = set()
        for r in resources:
            text = json.dumps(r)
            if isinstance(r, dict) and r.get("Fn::GetAtt", [None, None])[1] == "StreamArn":
                names.add("stream")  # the mapping reads a stream, not its table (PLATFORM actions)
                continue
            for logical, table in logical_to_table.items():
                if f'"{logical}"' in text:
                    names.add(f"table:{table}")
            if "PdfBucket" in text:
                names.add("bucket:pdf")
            for param in re.findall(r"parameter/esurety/\$\{Stage\}/([a-z-]+)", text):
                names.add(f"parameter:{param}")
            if ":ses:" in text:
                names.add("sender")
            if '"SecretsKey"' in text:
                names.add("key:secrets")
            if '"SigningKey"' in text:
                names.add("key:signing")
            if '"SigningCaKey"' in text:
                names.add("key:signing-ca")
        for action in st["Action"]:
            out[action] |= names or {"*"}
    return out


@pytest.mark.parametrize("function", list(ROLES))
def test_every_call_is_granted_on_its_resource(recorded, function):
    granted = _granted(ROLES[function])
    missing = sorted((a, r) for a, r in recorded[function] if r not in granted.get(a, set()))
    assert not missing, f"{function} calls without a grant: {missing}"


@pytest.mark.parametrize("function", list(ROLES))
def test_every_grant_is_used_by_that_function(recorded, function):
    granted = _granted(ROLES[function])
    used_actions = {a for a, _ in recorded[function]}
    unused = sorted(set(granted) - used_actions - PLATFORM - DEPLOYED_ONLY.get(function, set()))
    assert not unused, f"{ROLES[function]} grants what {function} never calls: {unused}"
    tables = {r for rs in granted.values() for r in rs if r.startswith("table:")}
    touched = {r for _, r in recorded[function] if r.startswith("table:")}
    assert tables == touched, f"{ROLES[function]} tables never touched: {sorted(tables - touched)}"


def test_only_the_api_signs_pdfs_and_only_the_daily_job_signs_with_the_ca_key(recorded):
    signs = {f: {r for a, r in calls if a == "kms:Sign"} for f, calls in recorded.items()}
    assert signs["api"] == {"key:signing"} and signs["daily_reminders"] == {"key:signing-ca"}
    assert not any(s for f, s in signs.items() if f not in ("api", "daily_reminders"))


def test_the_functions_that_mail_are_scoped_to_the_sender(recorded):
    # Completion mail (stream), since issue 13 account mail (API), since issue 14 notices (events);
    # SES feedback sends none.
    assert not any(a.startswith("ses:") for a, _ in recorded["ses_feedback"])
    for function in ("stream", "events", "api"):
        assert ("ses:SendRawEmail", "sender") in recorded[function]
        (ses,) = [
            s
            for s in cfn.template()["Resources"][ROLES[function]]["Properties"]["Policies"][0]["PolicyDocument"][
                "Statement"
            ]
            if "ses:SendRawEmail" in s["Action"]
        ]
        assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SesSender"}}}
