"""Issue 12: each function's role holds exactly what its code calls.

A journey of the functional suite (iam_recorder.JOURNEY) is recorded by `tests/tooling/iam_recorder.py`
— while the suite runs it in this worker, or else in a subprocess — which hooks botocore's `before-call` (and presign) events on every client and
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
from tests.tooling import iam_recorder

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

#: One xdist group holds the journey's tests and this module's, so the worker that runs the journey
#: (first: functional/ is collected before tooling/) checks what it recorded; a session scope keeps the
#: recording alive when that worker runs other modules' tests between these.
pytestmark = pytest.mark.xdist_group(iam_recorder.GROUP)


@pytest.fixture(scope="session")
def recorded(tmp_path_factory) -> dict[str, set[tuple[str, str]]]:
    raw = iam_recorder.journey_calls()
    if raw is None:  # the journey did not run (or not all of it passed) in this process
        raw = _journey_in_a_subprocess(tmp_path_factory)
    calls: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for function, service, operation, resource in raw:
        action = f"{service}:{operation}"
        # kms:Sign names its key: the recorder told the PDF signing key from the CA's (issue 31).
        where = resource if action == "kms:Sign" else _resource(service, resource)
        calls[function].add((IAM_ACTION.get(action, action), where))
    return calls


def _journey_in_a_subprocess(tmp_path_factory) -> list[list[str]]:
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
            *iam_recorder.JOURNEY,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return json.loads(out.read_text())


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
