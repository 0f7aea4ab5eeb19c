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

#: The journey: every route family through API Gateway's doors, the stream trigger, a deployed
#: stage's SSM reads, idempotent submission, a failed upload, a change, a key reissue, lockout, inbox,
#: and (issue 13) the admin API, invitations, resets, MFA, machine clients and SES feedback.
JOURNEY = [
    "tests/functional/web/test_api_gateway.py",
    "tests/functional/web/test_stage_config.py",
    "tests/functional/streams/test_notify.py",
    "tests/functional/netdesk/test_applications.py::test_same_key_same_body_creates_one_and_returns_the_first_answer",
    "tests/functional/netdesk/test_applications.py::test_same_key_different_body_is_409_and_creates_nothing",
    "tests/functional/staff/test_issuance.py::test_upload_failure_leaves_nothing_and_retry_issues",
    "tests/functional/staff/test_issuance.py::test_change_within_limits_is_a_new_version_with_new_pdfs",
    "tests/functional/staff/test_issuance.py::test_reissue_key_invalidates_the_old_one",
    "tests/functional/dsure/test_verify.py::test_success_resets_the_pair_count",
    "tests/functional/dsure/test_verify.py::test_inbox_lists_verified_guarantees_newest_change_first",
    "tests/functional/accounts/test_accounts.py",
    "tests/functional/accounts/test_mfa.py",
    "tests/functional/accounts/test_clients.py",
    "tests/functional/admin/test_admin.py",
    "tests/functional/admin/test_audit.py",
    "tests/functional/streams/test_bounces.py",
    "tests/functional/admin/test_orderers.py",
    # Issue 17: a cold container's read of the rate table (reservations and fees are in both_doors)
    "tests/functional/staff/test_fees.py::test_a_new_container_reads_the_rate_table_the_stage_loaded",
    # issue 14: the staff events' stream function (key reissue and rejection notices)
    "tests/functional/streams/test_event_notices.py",
]
ROLES = {
    "api": "ApiHandlerRole",
    "stream": "CertificateStreamRole",
    "events": "EventStreamRole",
    "ses_feedback": "SesFeedbackRole",
}
#: Granted for AWS to act on the function's behalf, never called by its code.
PLATFORM = {
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",  # Lambda writes the function's logs
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",  # the event-source mapping polls the stream as the function
    "sqs:SendMessage",  # the mapping's on-failure destination is written as the function
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
        calls[function].add((IAM_ACTION.get(action, action), _resource(service, resource)))
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
    unused = sorted(set(granted) - used_actions - PLATFORM)
    assert not unused, f"{ROLES[function]} grants what {function} never calls: {unused}"
    tables = {r for rs in granted.values() for r in rs if r.startswith("table:")}
    touched = {r for _, r in recorded[function] if r.startswith("table:")}
    assert tables == touched, f"{ROLES[function]} tables never touched: {sorted(tables - touched)}"


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
