"""Issue 12: `bin/stage` — stage names, the dry-run plan, and `down`, the secret and `redrive` under moto."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
import zipfile

import pytest

from devstack import cfn, stage
from devstack.names import MAX_STAGE, STAGE_PATTERN, StageNames, stage_for_branch
from tests.conftest import ROOT

LONG_BRANCH = "feature/ISSUE-1234_very-long-branch-name-for-the-new-onboarding-flow"[:60]
ACCOUNT = "123456789012"
NOW = dt.datetime(2999, 1, 1, 1, tzinfo=dt.UTC)

#: AWS's rules for each kind of name.
VALID = {
    "stack": (r"^[A-Za-z][A-Za-z0-9-]*$", 128),
    "bucket": (r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", 63),
    "queue": (r"^[A-Za-z0-9_-]+$", 80),
    "topic": (r"^[A-Za-z0-9_-]+$", 256),
    "function": (r"^[A-Za-z0-9_-]+$", 64),
    "role": (r"^[\w+=,.@-]+$", 64),
    "table": (r"^[A-Za-z0-9_.-]{3,}$", 255),
    "log-group": (r"^[\w/.#-]+$", 512),
    "parameter": (r"^/[\w./-]+$", 1011),
    "ses-configuration-set": (r"^[A-Za-z0-9_-]+$", 64),
}


def dry_run(*argv: str) -> str:
    out = io.StringIO()
    assert stage.main([*argv, "--dry-run"], out=out) == 0
    return out.getvalue()


def printed_names(output: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^name (\S+) (\S+)$", output, re.MULTILINE)}


def test_main_is_dev_and_no_other_branch_is_a_fixed_stage():
    assert stage_for_branch("main") == "dev"
    assert stage_for_branch("refs/heads/main") == "dev"
    for branch in ("local", "dev", "prod", "Prod", "LOCAL", "dev-x", "main-2", "refs/heads/prod", "refs/heads/dev"):
        assert stage_for_branch(branch).startswith("br-"), branch
    # two branches that slug alike still get different stages
    assert stage_for_branch("feature/New_Thing") != stage_for_branch("feature-new-thing")
    assert stage_for_branch("prod") == stage_for_branch("refs/heads/prod")


@pytest.fixture
def not_in_ci(monkeypatch):
    for var in ("GITHUB_ACTIONS", "GITHUB_WORKFLOW_REF", "GITHUB_EVENT_NAME", "GITHUB_REF_NAME", "GITHUB_HEAD_REF"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("branch", ["prod", "dev", "main-2", "refs/heads/prod", "Prod"])
def test_a_branch_named_like_a_fixed_stage_deploys_a_branch_stage(branch, not_in_ci):
    output = dry_run("up", branch)
    st = stage_for_branch(branch)
    assert st.startswith("br-") and f"stage {st} " in output
    assert not re.search(r"esurety-(prod|dev)\b(?!-[0-9a-f]{6})", output.replace(f"esurety-{st}", "")), branch
    assert "/esurety/prod/" not in output and "/esurety/dev/" not in output


@pytest.mark.parametrize("branch", ["dev", "prod", "main-2"])
def test_deleting_a_branch_named_dev_or_prod_tears_down_only_its_own_branch_stage(branch, not_in_ci):
    output = dry_run("down", branch)
    st = stage_for_branch(branch)
    assert f'delete_stack {{"StackName": "esurety-{st}"}}' in output
    touched = set(re.findall(r"esurety-[a-z0-9-]+", output))
    assert touched and all(name.startswith(f"esurety-{st}") for name in touched), touched


def test_down_from_a_branch_never_reaches_dev_or_prod(not_in_ci, monkeypatch):
    with pytest.raises(SystemExit, match="never tears down the fixed stage dev"):
        dry_run("down", "main")  # a deleted branch called main
    with pytest.raises(SystemExit, match="prod is retained"):
        dry_run("down", "--stage", "prod")
    with pytest.raises(SystemExit, match="prod is retained"):
        dry_run("down", "--stage", "prod", "--break-glass")
    # A delete event runs on the default branch: GITHUB_REF_NAME is main there, never the deleted one.
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    with pytest.raises(SystemExit, match="never tears down"):
        dry_run("down")
    with pytest.raises(SystemExit, match="never tears down"):
        dry_run("down", "--stage", "dev")  # not from CI either
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert 'delete_stack {"StackName": "esurety-dev"}' in dry_run("down", "--stage", "dev")  # an operator


def test_prod_is_refused_outside_its_workflow_unless_break_glass(not_in_ci, monkeypatch, capsys):
    for command in ("up", "redrive"):
        with pytest.raises(SystemExit, match="runs only in .github/workflows/prod.yml"):
            dry_run(command, "--stage", "prod")
    # A branch workflow cannot pass for the prod one (the OIDC role is the real gate: README bootstrap).
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_WORKFLOW_REF", "o/r/.github/workflows/stage.yml@refs/heads/prod")
    with pytest.raises(SystemExit, match="refused"):
        dry_run("up", "--stage", "prod")
    monkeypatch.setenv("GITHUB_WORKFLOW_REF", "o/r/.github/workflows/prod.yml@refs/tags/v1.2.0")
    output = dry_run("up", "--stage", "prod")
    assert "delete_stack" not in output and "esurety-prod" in output and "WARNING" not in output
    for var in ("GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITHUB_WORKFLOW_REF"):
        monkeypatch.delenv(var)
    capsys.readouterr()
    output = dry_run("up", "--stage", "prod", "--break-glass")
    assert "WARNING: --break-glass" in output and "WARNING: --break-glass" in capsys.readouterr().err
    assert "create_change_set" in output
    # prod's stack refuses deletion; a branch stage's does not (down deletes it)
    assert '"EnableTerminationProtection": true' in output
    assert "update_termination_protection" not in dry_run("up", "feature/x")


@pytest.mark.parametrize("branch", ["feature/New_Thing-42", LONG_BRANCH])
def test_dry_run_up_prints_valid_names_for_every_resource(branch):
    assert len(LONG_BRANCH) == 60
    output = dry_run("up", branch)
    names = printed_names(output)
    st = stage_for_branch(branch)
    assert re.match(STAGE_PATTERN, st) and len(st) <= MAX_STAGE
    assert f"stage {st} " in output
    kinds = {k.split(":")[0] for k in names}
    assert {"stack", "bucket", "queue", "function", "role", "table", "log-group", "parameter"} <= kinds
    for kind, name in names.items():
        pattern, limit = VALID[kind.split(":")[0]]
        assert re.match(pattern, name) and len(name) <= limit, (kind, name)
    bucket = names["bucket"]
    assert len(bucket) <= 63 and ".." not in bucket and "--" not in bucket and not bucket.startswith("xn--")
    assert len({v for k, v in names.items() if k.startswith("table:")}) == len(cfn.ALL_MODELS)
    assert names["function:api"] != names["function:stream"] and names["role:api"] != names["role:stream"]


def test_two_branches_share_no_resource_name():
    a = printed_names(dry_run("up", "feature/New_Thing-42"))
    b = printed_names(dry_run("up", LONG_BRANCH))
    c = printed_names(dry_run("up", LONG_BRANCH[:-1] + "X"))  # same 59-char prefix
    dev = printed_names(dry_run("up", "main"))
    for x, y in ((a, b), (b, c), (a, dev), (b, dev)):
        assert not set(x.values()) & set(y.values())
    assert dev["stack"] == "esurety-dev" and dev["table:accounts"] == "esurety-dev-accounts"


def test_dry_run_prints_every_aws_call_and_makes_none():
    output = dry_run("up", "feature/New_Thing-42")
    calls = [line for line in output.splitlines() if " aws " in f" {line}"]
    assert calls and all(line.startswith("DRY-RUN aws ") for line in calls)
    ops = [" ".join(line.split()[2:4]) for line in calls]
    for expected in (
        "ssm get_parameter",
        "ssm put_parameter",
        "s3 put_object",
        "cloudformation create_change_set",
        "cloudformation execute_change_set",
        "cloudformation describe_stacks",
    ):
        assert expected in ops
    assert '"Type": "SecureString"' in output and '"Value": "<secret>"' in output
    # PUBLIC_BASE_URL and SES_SENDER are written after the stack exists
    last_cfn = max(i for i, op in enumerate(ops) if op.startswith("cloudformation"))
    writes = [
        i
        for i, line in enumerate(calls)
        if "put_parameter" in line and ("public-base-url" in line or "/ses-sender" in line)
    ]
    assert len(writes) == 2 and min(writes) > last_cfn
    # Issue 24: the change set names the versions of the values the functions read, and the
    # service role of the bootstrap stack
    (change_set,) = [line for line in calls if "create_change_set" in line]
    assert (
        '"ParameterKey": "ConfigVersion", "ParameterValue": "session-secret=0,public-base-url=0,ses-sender=0"'
        in change_set
    )
    assert '"RoleARN": "arn:aws:iam::123456789012:role/esurety-cloudformation"' in change_set
    # Issue 17: the 保証料 rate table is loaded into the stage's fee_rates table once it exists
    rates = [i for i, line in enumerate(calls) if "dynamodb put_item" in line and "-fee_rates" in line]
    assert len(rates) == 3 and min(rates) > last_cfn
    assert re.search(r"^URL https://\S+/api$", output, re.MULTILINE)


def test_dry_run_down_plans_bucket_stack_secret_and_logs():
    output = dry_run("down", "feature/New_Thing-42")
    ops = [" ".join(line.split()[2:4]) for line in output.splitlines() if line.startswith("DRY-RUN aws")]
    assert ops.index("s3 list_object_versions") < ops.index("cloudformation delete_stack")
    # per function (api, certificate-stream, event-stream, ses-feedback, reconcile-pdfs, webhook-sender,
    # daily-reminders) Lambda's old group and the stack's own, and the API's access log
    assert "ssm delete_parameters" in ops and ops.count("logs delete_log_group") == 15
    with pytest.raises(SystemExit, match="prod is retained"):
        dry_run("down", "--stage", "prod")


def test_names_match_what_the_template_builds_from_the_stage():
    st = stage_for_branch(LONG_BRANCH)
    names = StageNames(st, ACCOUNT, "ap-northeast-1")
    template = cfn.template()
    assert template["Parameters"]["Stage"]["AllowedPattern"] == STAGE_PATTERN

    def resolve(value):
        text = value["Fn::Sub"]
        return text.replace("${Stage}", st).replace("${AWS::AccountId}", ACCOUNT)

    resources = template["Resources"]
    built = {
        resolve(r["Properties"]["TableName"]) for r in resources.values() if r.get("Type") == "AWS::DynamoDB::Table"
    }
    assert built == {names.table(t) for t in stage.TABLES}
    assert resolve(resources["PdfBucket"]["Properties"]["BucketName"]) == names.bucket
    assert resolve(resources["StreamFailureQueue"]["Properties"]["QueueName"]) == names.failure_queue
    assert resolve(resources["AlarmTopic"]["Properties"]["TopicName"]) == names.alarm_topic
    assert resolve(resources["APIHandler"]["Properties"]["FunctionName"]) == names.api_function
    assert resolve(resources["CertificateStream"]["Properties"]["FunctionName"]) == names.stream_function
    assert resolve(resources["ApiHandlerRole"]["Properties"]["RoleName"]) == names.api_role
    assert resolve(resources["CertificateStreamRole"]["Properties"]["RoleName"]) == names.stream_role
    assert resolve(resources["SesFeedback"]["Properties"]["FunctionName"]) == names.feedback_function
    assert resolve(resources["SesFeedbackRole"]["Properties"]["RoleName"]) == names.feedback_role
    assert resolve(resources["ReconcilePdfs"]["Properties"]["FunctionName"]) == names.reconcile_function
    assert resolve(resources["SesFeedbackTopic"]["Properties"]["TopicName"]) == names.feedback_topic
    # `bin/stage down` deletes a log group per function: every function of the template has one
    functions = {
        resolve(r["Properties"]["FunctionName"])
        for r in resources.values()
        if "FunctionName" in r.get("Properties", {})
    }
    owned = {
        resolve(r["Properties"]["LogGroupName"]) for r in resources.values() if r.get("Type") == "AWS::Logs::LogGroup"
    }
    # and every group the stack owns (/esurety/<stage>/…), which a retained stack would leave behind
    assert {f"/aws/lambda/{f}" for f in functions} | owned == set(names.log_groups)
    assert resolve(resources["SesConfigurationSet"]["Properties"]["Name"]) == names.configuration_set
    assert set(stage.TABLES) == set(cfn.ALL_MODELS)


def test_bin_stage_runs_as_a_command():
    out = subprocess.run(
        ["bash", "bin/stage", "names", "main"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout.split("\n", 1)[1])["stack"] == "esurety-dev"


# --- under moto ------------------------------------------------------------------------------------


@pytest.fixture
def moto_aws(monkeypatch):
    """In-process moto, never a server a functional test may have started."""
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SES"):
        monkeypatch.delenv(var, raising=False)
    from moto import mock_aws

    with mock_aws():
        yield stage.Aws("ap-northeast-1", dry_run=False, out=io.StringIO())


def test_up_creates_the_session_secret_once_as_a_securestring(moto_aws):
    names = StageNames("br-x-1a2b3c", moto_aws.account, "ap-northeast-1")
    assert stage.ensure_secret(moto_aws, names) is True
    ssm = moto_aws.client("ssm")
    first = ssm.get_parameter(Name=names.parameter("session-secret"), WithDecryption=True)["Parameter"]
    assert first["Type"] == "SecureString" and len(first["Value"]) >= 48
    assert stage.ensure_secret(moto_aws, names) is False  # never replaced: that would log everyone out
    again = ssm.get_parameter(Name=names.parameter("session-secret"), WithDecryption=True)["Parameter"]
    assert again["Value"] == first["Value"]
    assert first["Value"] not in moto_aws.out.getvalue()
    stage.write_stage_values(moto_aws, names, "https://x.execute-api.ap-northeast-1.amazonaws.com/api/", "a@b.jp")
    url = ssm.get_parameter(Name=names.parameter("public-base-url"))["Parameter"]["Value"]
    assert url == "https://x.execute-api.ap-northeast-1.amazonaws.com/api"


def test_up_loads_the_fee_rate_table_as_the_app_reads_it(moto_aws):
    """Issue 17: the deploy writes what chalicelib.store.fees.rate_table() reads (the local stack's shape)."""
    from chalicelib.domain.fees import PRODUCTS, parse_product
    from chalicelib.store.models import FeeRateModel

    names = StageNames("br-x-1a2b3c", moto_aws.account, "ap-northeast-1")
    ddb = moto_aws.client("dynamodb")
    ddb.create_table(
        TableName=names.table("fee_rates"),
        KeySchema=[{"AttributeName": "product", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "product", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert stage.load_rates(moto_aws, names) == list(PRODUCTS)
    stage.load_rates(moto_aws, names)  # every deploy reloads: replaced whole, never duplicated
    data = json.loads(stage.RATES_FILE.read_text(encoding="utf-8"))
    raw = {p["product"]: p for p in data["products"]}
    items = ddb.scan(TableName=names.table("fee_rates"))["Items"]
    assert sorted(i["product"]["S"] for i in items) == sorted(PRODUCTS)
    attributes = set(FeeRateModel.get_attributes())
    for item in items:
        assert set(item) <= attributes and {"product", "table", "loaded_at"} <= set(item)
        entry = json.loads(item["table"]["S"])
        assert entry == raw[item["product"]["S"]]
        parse_product(entry)  # what rate_table() does with it
        assert item["provenance"]["S"] == data["provenance"]


def test_down_empties_a_versioned_bucket_with_delete_markers_then_deletes_everything(moto_aws):
    st = "br-x-1a2b3c"
    names = StageNames(st, moto_aws.account, "ap-northeast-1")
    s3, cf, ssm, logs = (moto_aws.client(s) for s in ("s3", "cloudformation", "ssm", "logs"))
    s3.create_bucket(Bucket=names.bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_bucket_versioning(Bucket=names.bucket, VersioningConfiguration={"Status": "Enabled"})
    for i in range(3):
        s3.put_object(Bucket=names.bucket, Key=f"certificates/{i}.pdf", Body=b"v1")
        s3.put_object(Bucket=names.bucket, Key=f"certificates/{i}.pdf", Body=b"v2")
    s3.delete_object(Bucket=names.bucket, Key="certificates/0.pdf")  # a delete marker
    listed = s3.list_object_versions(Bucket=names.bucket)
    assert len(listed["Versions"]) == 6 and len(listed["DeleteMarkers"]) == 1
    cf.create_stack(
        StackName=names.stack,
        TemplateBody=json.dumps(
            {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": names.failure_queue}}}}
        ),
    )
    stage.ensure_secret(moto_aws, names)
    stage.write_stage_values(moto_aws, names, "https://x/api", "a@b.jp")
    for group in names.log_groups:
        logs.create_log_group(logGroupName=group)

    stage.down(moto_aws, st)

    assert s3.list_object_versions(Bucket=names.bucket).get("Versions", []) == []
    assert s3.list_object_versions(Bucket=names.bucket).get("DeleteMarkers", []) == []
    s3.delete_bucket(Bucket=names.bucket)  # empty now: CloudFormation's DeletionPolicy Delete can remove it
    stacks = cf.list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"] == names.stack)
    assert ssm.get_parameters(Names=names.parameters)["Parameters"] == []
    assert logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{names.prefix}")["logGroups"] == []
    assert logs.describe_log_groups(logGroupNamePrefix=f"/esurety/{st}/")["logGroups"] == []
    out = moto_aws.out.getvalue()
    assert out.index("delete_objects") < out.index("delete_stack")
    assert "7 versions and delete markers removed" in out


def _stream_with_one_insert(aws: stage.Aws, names: StageNames) -> tuple[str, dict]:
    ddb = aws.client("dynamodb")
    ddb.create_table(
        TableName=names.table("certificates"),
        KeySchema=[{"AttributeName": "number", "KeyType": "HASH"}, {"AttributeName": "version", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "number", "AttributeType": "S"},
            {"AttributeName": "version", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    arn = ddb.describe_table(TableName=names.table("certificates"))["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=names.table("certificates"), Item={"number": {"S": "30026-000001M"}, "version": {"N": "1"}})
    streams = aws.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    (record,) = streams.get_records(ShardIterator=it["ShardIterator"])["Records"]
    seq = record["dynamodb"]["SequenceNumber"]
    info = {
        "shardId": shard["ShardId"],
        "startSequenceNumber": seq,
        "endSequenceNumber": seq,
        "approximateArrivalOfFirstRecord": "2999-01-01T00:00:00Z",
        "batchSize": 1,
        "streamArn": arn,
    }
    return arn, info


def _queue_with_pointers(aws: stage.Aws, names: StageNames, info: dict) -> str:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=names.failure_queue)["QueueUrl"]
    body = {"version": "1.0", "requestContext": {"condition": "RetryAttemptsExhausted"}, "DDBStreamBatchInfo": info}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    stale = dict(info, approximateArrivalOfFirstRecord="2998-12-30T00:00:00Z")  # > 24 h before NOW
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({**body, "DDBStreamBatchInfo": stale}))
    return url


def _queued(aws: stage.Aws, url: str) -> int:
    attrs = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_redrive_replays_the_stream_records_and_deletes_what_succeeded(moto_aws):
    st = "br-x-1a2b3c"
    names = StageNames(st, moto_aws.account, "ap-northeast-1")
    arn, info = _stream_with_one_insert(moto_aws, names)
    url = _queue_with_pointers(moto_aws, names, info)
    seen: list[list[dict]] = []
    counts = stage.redrive(moto_aws, st, invoker=lambda records: seen.append(records) or [], now=NOW)
    assert counts == {"replayed": 1, "failed": 0, "expired": 1}
    (replayed,) = seen
    assert [r["dynamodb"]["SequenceNumber"] for r in replayed] == [info["startSequenceNumber"]]
    assert replayed[0]["eventSourceARN"] == arn and replayed[0]["eventName"] == "INSERT"
    assert isinstance(replayed[0]["dynamodb"]["ApproximateCreationDateTime"], int)  # Lambda's shape
    assert replayed[0]["dynamodb"]["NewImage"]["number"] == {"S": "30026-000001M"}
    assert _queued(moto_aws, url) == 1  # only the pointer past the stream's retention is left, for a person
    assert "past the stream's 24 h retention" in moto_aws.out.getvalue()


def test_redrive_keeps_a_batch_that_fails_again(moto_aws):
    st = "br-x-1a2b3c"
    names = StageNames(st, moto_aws.account, "ap-northeast-1")
    _, info = _stream_with_one_insert(moto_aws, names)
    url = _queue_with_pointers(moto_aws, names, info)
    counts = stage.redrive(moto_aws, st, invoker=lambda records: [records[0]["dynamodb"]["SequenceNumber"]], now=NOW)
    assert counts == {"replayed": 0, "failed": 1, "expired": 1}
    assert _queued(moto_aws, url) == 2


def test_redrive_sends_each_failure_back_to_the_function_of_its_stream():
    # Issue 14: the staff events' stream shares the failure queue with the certificates stream.
    names = StageNames("br-x-1a2b3c", "123456789012", "ap-northeast-1")

    def info(table: str) -> dict:
        return {"streamArn": f"arn:aws:dynamodb:ap-northeast-1:123456789012:table/{names.table(table)}/stream/2026"}

    assert stage.function_for(names, info("events")) == names.events_function == "esurety-br-x-1a2b3c-event-stream"
    assert stage.function_for(names, info("certificates")) == names.stream_function


def test_dry_run_redrive_prints_its_calls():
    output = dry_run("redrive", "feature/New_Thing-42")
    assert "DRY-RUN aws sqs get_queue_url" in output and "DRY-RUN aws sqs receive_message" in output


def test_prune_removes_branch_stages_whose_branch_is_gone_and_keeps_the_rest(moto_aws):
    cf = moto_aws.client("cloudformation")
    body = json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    alive, gone = stage_for_branch("feature/alive"), stage_for_branch("feature/gone")
    for st in (alive, gone, "dev"):
        cf.create_stack(StackName=f"esurety-{st}", TemplateBody=body)
    removed = stage.prune(moto_aws, days=14, branches={"main", "feature/alive"})
    assert removed == [gone]
    live = {s["StackName"] for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}
    assert live == {f"esurety-{alive}", "esurety-dev"}


def test_dry_run_prune_lists_stacks_and_changes_nothing():
    aws = stage.Aws("ap-northeast-1", dry_run=True, out=io.StringIO())
    assert stage.prune(aws, days=14, branches=set()) == []
    assert "DRY-RUN aws cloudformation describe_stacks {}" in aws.out.getvalue()


# --- issue 24: rotation that rotates ----------------------------------------------------------------


def _stack_of_functions(aws: stage.Aws, names: StageNames) -> None:
    """The stage's stack as moto can hold it: the merge template's Parameters and its functions'
    Environment (moto has no SAM: plain AWS::Lambda::Function), with an artifacts bucket."""
    template = cfn.template()
    env = template["Resources"]["APIHandler"]["Properties"]["Environment"]
    resources = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        },
        "SesConfigurationSet": {"Type": "AWS::SNS::Topic"},  # stands in for the Ref in the environment
        "SecretsKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}},
        },
    }
    for logical in ("APIHandler", "CertificateStream"):
        resources[logical] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": template["Resources"][logical]["Properties"]["FunctionName"],
                "Runtime": "python3.11",
                "Handler": "app.app",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": "artifacts", "S3Key": "code.zip"},
                "Environment": env,
            },
        }
    body = {"Parameters": template["Parameters"], "Resources": resources}
    aws.client("s3").create_bucket(
        Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    aws.client("s3").put_object(Bucket="artifacts", Key="t.json", Body=json.dumps(body).encode())
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def app(event, context):\n    pass\n")
    aws.client("s3").put_object(Bucket="artifacts", Key="code.zip", Body=code.getvalue())
    stage.ensure_secret(aws, names)
    stage.write_stage_values(aws, names, "https://x.example/api", "a@b.jp")
    parameters = {"Stage": names.stage, "SesSender": "a@b.jp", "ConfigVersion": stage.config_version(aws, names)}
    stage.apply_change_set(
        aws, names, "https://artifacts.s3.ap-northeast-1.amazonaws.com/t.json", parameters, [], False
    )


def _config(aws: stage.Aws, names: StageNames) -> dict[str, str]:
    lam = aws.client("lambda")
    return {
        f: lam.get_function_configuration(FunctionName=f)["Environment"]["Variables"]["CONFIG_VERSION"]
        for f in (names.api_function, names.stream_function)
    }


def test_rotate_secret_changes_the_secret_and_the_functions_configuration(moto_aws):
    names = StageNames("br-x-1a2b3c", moto_aws.account, "ap-northeast-1")
    _stack_of_functions(moto_aws, names)
    ssm = moto_aws.client("ssm")
    old = ssm.get_parameter(Name=names.parameter("session-secret"), WithDecryption=True)["Parameter"]["Value"]
    before = _config(moto_aws, names)
    assert set(before.values()) == {"session-secret=1,public-base-url=1,ses-sender=1"}

    stage.rotate_secret(moto_aws, names, "artifacts")

    new = ssm.get_parameter(Name=names.parameter("session-secret"), WithDecryption=True)["Parameter"]
    assert new["Value"] != old and new["Type"] == "SecureString" and new["Version"] == 2
    assert set(_config(moto_aws, names).values()) == {"session-secret=2,public-base-url=1,ses-sender=1"}
    out = moto_aws.out.getvalue()
    assert old not in out and new["Value"] not in out
    assert "configuration: session-secret=1,public-base-url=1,ses-sender=1 -> session-secret=2," in out

    # up's stage values: rewritten only when they change (each put is a new version: new containers)
    assert stage.write_stage_values(moto_aws, names, "https://x.example/api/", "a@b.jp") is False
    assert stage.refresh_configuration(moto_aws, names, "artifacts") is False  # nothing changed since
    assert stage.write_stage_values(moto_aws, names, "https://new.example", "a@b.jp") is True
    assert stage.refresh_configuration(moto_aws, names, "artifacts") is True
    assert set(_config(moto_aws, names).values()) == {"session-secret=2,public-base-url=2,ses-sender=1"}


def test_dry_run_rotate_secret_plans_one_command_and_prod_needs_its_workflow(not_in_ci):
    output = dry_run("rotate-secret", "feature/New_Thing-42")
    ops = [" ".join(line.split()[2:4]) for line in output.splitlines() if line.startswith("DRY-RUN aws")]
    assert ops.index("ssm put_parameter") < ops.index("cloudformation create_change_set")
    assert '"Overwrite": true' in output and '"Value": "<secret>"' in output
    assert "cloudformation execute_change_set" in ops
    with pytest.raises(SystemExit, match="refused"):
        dry_run("rotate-secret", "--stage", "prod")


# --- issue 24: the CI role's permissions are the calls the tool makes --------------------------------

#: boto3 operation or waiter → the IAM action it needs (get_caller_identity needs none).
IAM_ACTION = {
    "sts get_caller_identity": None,
    "s3 list_object_versions": "s3:ListBucketVersions",
    "s3 list_objects_v2": "s3:ListBucket",
    "s3 delete_objects": "s3:DeleteObject",
    "dynamodbstreams get_shard_iterator": "dynamodb:GetShardIterator",
    "dynamodbstreams get_records": "dynamodb:GetRecords",
    "lambda invoke": "lambda:InvokeFunction",
    "cloudformation wait:change_set_create_complete": "cloudformation:DescribeChangeSet",
    "cloudformation wait:stack_create_complete": "cloudformation:DescribeStacks",
    "cloudformation wait:stack_update_complete": "cloudformation:DescribeStacks",
    "cloudformation wait:stack_delete_complete": "cloudformation:DescribeStacks",
}


def _actions(output: str) -> set[str]:
    found = set()
    for line in output.splitlines():
        m = re.match(r"^(?:DRY-RUN )?aws (\S+) (\S+) ", line)
        if not m or m.group(2).startswith("run"):
            continue
        key = f"{m.group(1)} {m.group(2)}"
        if key in IAM_ACTION:
            action = IAM_ACTION[key]
        else:
            service = {"dynamodbstreams": "dynamodb"}.get(m.group(1), m.group(1))
            action = f"{service}:{''.join(w.capitalize() for w in m.group(2).split('_'))}"
        if action:
            found.add(action)
    return found


def _readme_ci_actions() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- ci-actions -->", 1)[1].split("<!-- /ci-actions -->", 1)[0]
    return set(re.findall(r"`([a-z0-9]+:[A-Za-z]+)`", block))


def test_the_ci_roles_may_do_exactly_what_the_tools_call(moto_aws, monkeypatch, not_in_ci):
    """README's list = the bootstrap template's CI policies = what `--dry-run` prints for up (a new
    stage), rotate-secret, down and prune, with redrive's calls on moto, bin/admin's (recorded in
    test_admin.py) and those AWS checks without a call of their own."""
    from devstack import bootstrap

    monkeypatch.setenv("ESURETY_ARTIFACTS_BUCKET", "artifacts")
    printed = "".join(dry_run(*argv) for argv in (["up", "feature/x"], ["rotate-secret", "feature/x"]))
    printed += dry_run("down", "feature/x")
    printed += dry_run("up", "--stage", "prod", "--break-glass")  # prod's stack gets termination protection
    names = StageNames("br-x-1a2b3c", moto_aws.account, "ap-northeast-1")
    _, info = _stream_with_one_insert(moto_aws, names)
    _queue_with_pointers(moto_aws, names, info)
    stage.redrive(moto_aws, names.stage, invoker=lambda records: [], now=NOW)
    s3 = moto_aws.client("s3")  # down with something to delete: a stage's bucket and its packages
    for bucket, key in ((names.bucket, "certificates/1.pdf"), ("artifacts", f"esurety/{names.stage}/1.zip")):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    stage.down(moto_aws, names.stage)
    dry = stage.Aws("ap-northeast-1", dry_run=True, out=io.StringIO())
    stage.prune(dry, 14, branches=set())
    stage.lambda_invoker(dry, names.stream_function)([{"dynamodb": {"SequenceNumber": "1"}}])
    called = _actions(printed + moto_aws.out.getvalue() + dry.out.getvalue())
    listed = set(bootstrap.ci_actions())
    assert called | set(bootstrap.IMPLIED_ACTIONS) | set(bootstrap.ADMIN_ACTIONS) == listed
    assert _readme_ci_actions() == listed
    template = json.loads((ROOT / "deploy" / "bootstrap.json").read_text(encoding="utf-8"))
    assert template == bootstrap.template(), "run: .venv/bin/python -m devstack.bootstrap"
    for role in ("GitHubBranchesRole", "GitHubDevRole", "GitHubProdRole"):
        (policy,) = template["Resources"][role]["Properties"]["Policies"]
        granted = {a for st in policy["PolicyDocument"]["Statement"] for a in st["Action"]}
        assert granted == listed, role


def test_down_removes_every_page_of_the_stages_packages_and_nothing_of_another_stage(moto_aws, monkeypatch):
    s3 = moto_aws.client("s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    for i in range(5):
        s3.put_object(Bucket="artifacts", Key=f"esurety/br-x-1a2b3c/{i:04d}.zip", Body=b"")
    s3.put_object(Bucket="artifacts", Key="esurety/br-x-1a2b3c-other/keep.zip", Body=b"")
    # pages of 2 keys stand in for S3's 1,000: three pages, each listed and deleted
    assert stage.remove_packages(moto_aws, "artifacts", "br-x-1a2b3c", page=2) == 5
    left = [o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"]]
    assert left == ["esurety/br-x-1a2b3c-other/keep.zip"]
    assert moto_aws.out.getvalue().count("list_objects_v2") == 3


def test_rotate_secret_refuses_a_stage_without_a_stack_before_touching_its_secret(moto_aws):
    names = StageNames("br-x-1a2b3c", moto_aws.account, "ap-northeast-1")
    with pytest.raises(SystemExit, match="does not exist"):
        stage.rotate_secret(moto_aws, names, "artifacts")
    assert "put_parameter" not in moto_aws.out.getvalue()


def test_up_gives_the_stage_its_timestamp_authority_and_the_roots_it_chains_to(monkeypatch, not_in_ci):
    monkeypatch.delenv("ESURETY_TSA_URL", raising=False)
    monkeypatch.delenv("ESURETY_TSA_ROOTS", raising=False)
    output = dry_run("up", "feature/x")
    (change_set,) = [line for line in output.splitlines() if "create_change_set" in line]
    assert f'"ParameterKey": "SigningTsaUrl", "ParameterValue": "{stage.DEFAULT_TSA_URL}"' in change_set
    assert re.search(rf"^DRY-RUN run bin/admin signing-chain .* --tsa-roots {stage.DEFAULT_TSA_ROOTS}$", output, re.M)
    monkeypatch.setenv("ESURETY_TSA_URL", "https://tsa.example.jp/tsp")
    with pytest.raises(SystemExit, match="ESURETY_TSA_ROOTS"):  # another TSA, but whose roots?
        dry_run("up", "feature/x")
    monkeypatch.setenv("ESURETY_TSA_ROOTS", "/etc/tsa/roots.pem")
    output = dry_run("up", "feature/x")
    assert '"ParameterKey": "SigningTsaUrl", "ParameterValue": "https://tsa.example.jp/tsp"' in output
    assert "--tsa-roots /etc/tsa/roots.pem\n" in output
