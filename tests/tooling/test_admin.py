"""Issue 24: `bin/admin` on a new branch stage against moto (a server of this module's own) — the
first admin's link reaches SES and an SSM SecureString, never the output; `bin/stage up` plans the
smoke fixture, which then exists, is what `bin/smoke --stage` reads, and goes with `bin/stage down`;
and no output of these commands, or of a dry run, holds a set-up token, a session secret or a TOTP
secret (API.md's demo TOTP secrets of the local stage are the only ones ever printed)."""

from __future__ import annotations

import ast
import email
import email.policy
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from chalicelib.settings import STAGE_PARAMETERS
from devstack import bootstrap, cfn, smoke, smoke_fixture, stage
from devstack.names import StageNames, stage_for_branch
from devstack.seed import DEMO_TOTP_SECRETS
from tests import call_log
from tests.conftest import ROOT

BRANCH = "feature/smoke-on-a-new-stage"
STAGE = stage_for_branch(BRANCH)
REGION = "ap-northeast-1"
SENDER = f"no-reply-{STAGE}@e-surety.example.jp"
#: A base32 run as long as a TOTP secret (16 or 32 characters) or a URL-safe token.
BASE32 = re.compile(r"(?<![A-Za-z0-9])[A-Z2-7]{16,}(?![A-Za-z0-9])")


@pytest.fixture(scope="module")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def aws(moto_url):
    """The new branch stage as `bin/stage up` leaves it before bin/admin runs: tables, stage values."""
    import boto3

    def client(service):
        return boto3.client(service, region_name=REGION, endpoint_url=moto_url)

    ddb = client("dynamodb")
    for resource in cfn.template()["Resources"].values():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = dict(resource["Properties"])
        props["TableName"] = props["TableName"]["Fn::Sub"].replace("${Stage}", STAGE)
        for key in (
            "PointInTimeRecoverySpecification",
            "SSESpecification",
            "TimeToLiveSpecification",
            "DeletionProtectionEnabled",
        ):
            props.pop(key, None)
        if "StreamSpecification" in props:
            props["StreamSpecification"] = {**props["StreamSpecification"], "StreamEnabled": True}
        ddb.create_table(**props)
    client("ses").verify_email_identity(EmailAddress=SENDER)
    # the stage's key for secrets at rest, by the alias the template gives it (cfn SecretsKeyAlias)
    key = client("kms").create_key(Description="secrets at rest")["KeyMetadata"]["KeyId"]
    client("kms").create_alias(AliasName=f"alias/esurety-{STAGE}-secrets", TargetKeyId=key)
    # the signing keys (cfn SigningKey, SigningCaKey), asymmetric, by their aliases; the stage's bucket
    for suffix in ("signing", "signing-ca"):
        made = client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        client("kms").create_alias(AliasName=f"alias/esurety-{STAGE}-{suffix}", TargetKeyId=made)
    names = StageNames(STAGE, "123456789012", REGION)
    client("s3").create_bucket(Bucket=names.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    ssm = client("ssm")
    ssm.put_parameter(Name=names.parameter("public-base-url"), Value="https://x.example/api", Type="String")
    ssm.put_parameter(Name=names.parameter("ses-sender"), Value=SENDER, Type="String")
    return client


#: The module's recorded bin/admin runs add up to the CI role's list (the `calls` fixture): its tests
#: run on one worker, in order.
pytestmark = pytest.mark.xdist_group("admin-tool")


def _env(moto_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "STAGE"))}
    # A deployed stage's tools never have the tests' secret, nor the local stage's values that
    # chalice's test client leaves in this worker's environment (.chalice/config.json "local").
    for name in ("SESSION_SECRET", "SESSION_SECRET_PARAM", *STAGE_PARAMETERS):
        env.pop(name, None)
    return {**env, "AWS_ENDPOINT_URL": moto_url, "AWS_REGION": REGION}


#: bin/admin as `bin/admin` runs it (`python -m devstack.admin`), with every AWS call's IAM action logged.
RECORDED_ADMIN = (
    "import sys; from tests import call_log; call_log.install(); from devstack import admin; "
    "sys.exit(admin.main(sys.argv[1:]))"
)


def _admin(moto_url: str, *args: str, calls: Path | None = None) -> subprocess.CompletedProcess:
    if calls is None:
        cmd = ["bash", "bin/admin", *args]
    else:
        cmd = [sys.executable, "-c", RECORDED_ADMIN, *args]
    env = {**_env(moto_url), "CALL_LOG": str(calls or "")}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _opened(aws, stored: str, login: str) -> str:
    """A sealed value opened as the stage's functions open it: the data key unwrapped by KMS."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from chalicelib.store import sealed

    _, wrapper, wrapped, nonce, ciphertext = stored.split(":")
    data_key = aws("kms").decrypt(CiphertextBlob=sealed._unb64(wrapped))["Plaintext"]
    return AESGCM(data_key).decrypt(sealed._unb64(nonce), sealed._unb64(ciphertext), login.encode()).decode()


def _printed(*results: subprocess.CompletedProcess) -> str:
    return "\n".join(r.stdout + r.stderr for r in results)


def _secrets_in(text: str) -> set[str]:
    return set(BASE32.findall(text)) - set(DEMO_TOTP_SECRETS.values())


@pytest.fixture(scope="module")
def calls(tmp_path_factory) -> Path:
    """The IAM actions of every recorded bin/admin run of this module."""
    return tmp_path_factory.mktemp("calls") / "calls.jsonl"


def test_first_admin_link_goes_to_ses_and_ssm_and_never_to_the_output(aws, moto_url, calls):
    made = _admin(
        moto_url, "create-first", "--stage", STAGE, "--login", "admin", "--email", "boss@example.jp", calls=calls
    )
    assert made.returncode == 0, _printed(made)
    link = aws("ssm").get_parameter(Name=f"/esurety/{STAGE}/first-admin-link", WithDecryption=True)["Parameter"]
    assert link["Type"] == "SecureString" and link["Value"].startswith("https://x.example/api/account/setup?token=")
    token = link["Value"].split("token=", 1)[1]
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json") as answer:  # noqa: S310 - loopback moto
        (raw,) = json.load(answer)["ses"]["RawMessage"]
    assert raw["source"] == SENDER and "boss@example.jp" in raw["destinations"]
    mail = email.message_from_string(raw["raw_data"], policy=email.policy.default)
    assert link["Value"] in mail.get_body(("plain",)).get_content()
    again = _admin(moto_url, "create-first", "--stage", STAGE, "--login", "second", "--email", "b@example.jp")
    assert again.returncode == 1 and "already has an admin" in again.stderr
    printed = _printed(made, again)
    assert token not in printed and "token=" not in printed and f"/esurety/{STAGE}/first-admin-link" in printed


def test_the_signing_chain_is_made_once_by_the_stage_ca_key_and_planned_by_up(aws, moto_url, calls):
    bucket = StageNames(STAGE, "123456789012", REGION).bucket
    planned = _admin(moto_url, "signing-chain", "--stage", STAGE, "--bucket", bucket, "--dry-run")
    assert planned.returncode == 0 and "kms:Sign with the CA key" in planned.stdout, _printed(planned)
    assert "KeyCount" not in aws("s3").list_objects_v2(Bucket=bucket) or not aws("s3").list_objects_v2(
        Bucket=bucket
    ).get("KeyCount")  # a dry run writes nothing
    made = _admin(moto_url, "signing-chain", "--stage", STAGE, "--bucket", bucket, calls=calls)
    assert made.returncode == 0, _printed(made)
    chain = aws("s3").get_object(Bucket=bucket, Key="signing/chain.pem")["Body"].read().decode()
    assert chain.count("BEGIN CERTIFICATE") == 2
    roots = ["--tsa-roots", "deploy/signing/digicert-tsa-roots.pem"]
    kept = _admin(moto_url, "signing-chain", "--stage", STAGE, "--bucket", bucket, *roots, "--dry-run", calls=calls)
    assert kept.returncode == 0 and "the chain is kept" in kept.stdout, _printed(kept)
    assert aws("s3").get_object(Bucket=bucket, Key="signing/chain.pem")["Body"].read().decode() == chain
    assert "add 2 TSA trust roots to" in kept.stdout  # planned, not written
    assert aws("s3").list_objects_v2(Bucket=bucket, Prefix="signing/tsa-roots.pem").get("KeyCount") == 0
    # the stage TSA's roots, as up passes them (merging and refusing: tests/functional/staff/test_signing.py)
    rooted = _admin(moto_url, "signing-chain", "--stage", STAGE, "--bucket", bucket, *roots, calls=calls)
    stored = aws("s3").get_object(Bucket=bucket, Key="signing/tsa-roots.pem")["Body"].read().decode()
    assert rooted.returncode == 0 and stored.count("BEGIN CERTIFICATE") == 2, _printed(rooted)


def test_up_plans_the_smoke_fixture_which_then_exists_is_read_by_bin_smoke_and_goes_with_down(
    aws, moto_url, monkeypatch, calls
):
    monkeypatch.setenv("ESURETY_ADMIN_EMAIL", "boss@example.jp")
    monkeypatch.setattr(stage.secrets, "token_urlsafe", lambda n: "SESSION-SECRET-MARKER-" + "x" * n)
    out = io.StringIO()
    assert stage.main(["up", BRANCH, "--dry-run"], out=out) == 0
    planned = out.getvalue()
    assert f"DRY-RUN run bin/admin smoke-fixture --stage {STAGE}\n" in planned
    assert f"DRY-RUN run bin/admin signing-chain --stage {STAGE} --bucket " in planned
    assert f"DRY-RUN run bin/admin create-first --stage {STAGE} --login admin --email boss@example.jp" in planned
    assert "SESSION-SECRET-MARKER" not in planned and '"Value": "<secret>"' in planned

    made = _admin(moto_url, "smoke-fixture", "--stage", STAGE, calls=calls)  # the line the plan runs
    assert made.returncode == 0, _printed(made)
    kept = _admin(moto_url, "smoke-fixture", "--stage", STAGE, calls=calls)
    assert kept.returncode == 0 and "kept" in kept.stdout
    assert f"DRY-RUN run bin/admin encrypt-secrets --stage {STAGE}\n" in planned  # every up seals old rows
    resealed = _admin(moto_url, "encrypt-secrets", "--stage", STAGE, calls=calls)
    assert resealed.returncode == 0 and f"sealed 0 TOTP secrets of stage {STAGE}" in resealed.stdout
    assert f"DRY-RUN run bin/admin count-lists --stage {STAGE}\n" in planned  # the pager's counts, once
    counted = _admin(moto_url, "count-lists", "--stage", STAGE, calls=calls)
    assert counted.returncode == 0 and f"list counts of stage {STAGE}: 0 set" in counted.stdout
    again = _admin(moto_url, "count-lists", "--stage", STAGE, calls=calls)
    assert again.returncode == 0 and "already kept" in again.stdout
    refused = _admin(moto_url, "smoke-fixture", "--stage", "prod")
    assert refused.returncode == 1
    parameter = aws("ssm").get_parameter(Name=f"/esurety/{STAGE}/smoke-fixture", WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    settings = smoke.fixture_settings(STAGE)  # what `bin/smoke --stage` reads
    assert settings == json.loads(parameter["Value"])
    ddb = aws("dynamodb")
    for login, (role, (org_id, _)) in smoke_fixture.USERS.items():
        row = ddb.get_item(TableName=f"esurety-{STAGE}-accounts", Key={"login": {"S": login}})["Item"]
        assert row["role"]["S"] == role and row["org_id"]["S"] == org_id and row["status"]["S"] == "active"
        assert settings[smoke_fixture.SETTING[login]].startswith(f"{login}:")
        if role == "staff":
            secret = settings[f"{smoke_fixture.SETTING[login]}_TOTP"]
            stored = row["totp_secret"]["S"]
            assert stored.startswith("enc1:kms:") and secret not in stored  # sealed with the stage's key
            assert _opened(aws, stored, login) == secret and len(smoke.totp(secret, 0)) == 6
    orderer = ddb.get_item(TableName=f"esurety-{STAGE}-orderers", Key={"orderer_id": {"S": smoke_fixture.ORDERER[0]}})
    assert orderer["Item"]["e_surety"] == {"BOOL": True}
    assert settings["SMOKE_ORDERER_ID"] == smoke_fixture.ORDERER[0] and settings["SMOKE_BRANCH"] == "ibaraki"

    printed = _printed(made, kept, resealed, refused) + planned
    values = [v.split(":", 1)[-1] for k, v in settings.items() if k.startswith("SMOKE_") and "@" not in v]
    assert all(v not in printed for v in values if len(v) > 8)
    assert not _secrets_in(printed), _secrets_in(printed)

    # the CI role may do what bin/admin did here, and the bootstrap lists nothing more for it
    assert call_log.read(str(calls)) == set(bootstrap.ADMIN_ACTIONS), sorted(call_log.read(str(calls)))

    gone = io.StringIO()
    stage.down(stage.Aws(REGION, dry_run=False, out=gone, account="123456789012"), STAGE)
    assert aws("ssm").get_parameters(Names=StageNames(STAGE, "1", REGION).parameters)["Parameters"] == []


#: The one place that prints passwords and TOTP secrets: the local stack's banner of API.md's demo
#: logins (DEMO_ACCOUNTS, DEMO_TOTP_SECRETS: fixed, published, refused by seed_demo off the local stage).
DEMO_BANNER = {("devstack/__main__.py", "print", "password"), ("devstack/__main__.py", "print", "secret")}
#: Issue 29 (API.md): the banner also prints the local demo machine client's secret (new each run).
DEMO_BANNER |= {("devstack/__main__.py", "print", "client_secret")}
SECRET_NAME = re.compile(r"link|token|secret|password|totp", re.IGNORECASE)
OUTPUTS = {"print", "write", "writelines", "echo"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}


def _secret_outputs(path: Path) -> set[tuple[str, str, str]]:
    """(file, call, name) for every print/write of a variable, or log keyword, named like a secret."""
    rel = path.relative_to(ROOT).as_posix()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in OUTPUTS:
            for arg in node.args:
                for name in ast.walk(arg):
                    text = getattr(name, "id", None) or getattr(name, "attr", None) or ""
                    if SECRET_NAME.search(text):
                        found.add((rel, called, text))
        if called in LOG_CALLS and isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "logs":
            found |= {(rel, called, k.arg) for k in node.keywords if k.arg and SECRET_NAME.search(k.arg)}
    return found


def test_no_tool_or_function_prints_or_logs_a_token_a_password_or_a_secret():
    """The grep half of the check (the run half is above): no tool or app module writes a variable named
    like a link, token, secret, password or TOTP secret to an output, or passes one to a log line,
    except the local banner's demo logins; no shell script or workflow echoes one."""
    found = set()
    for path in [*ROOT.glob("devstack/*.py"), *ROOT.glob("chalicelib/**/*.py")]:
        found |= _secret_outputs(path)
    assert found == DEMO_BANNER
    shell = [*ROOT.glob("bin/*"), *ROOT.glob("scripts/*"), *ROOT.glob(".github/workflows/*.yml")]
    for path in shell:
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not re.search(r"\b(echo|printf)\b.*\$\{?\w*(TOKEN|SECRET|PASSWORD|TOTP|LINK)", line), (path, line)
    loop = (ROOT / "devstack" / "__main__.py").read_text(encoding="utf-8")
    assert "for login, secret in DEMO_TOTP_SECRETS.items():" in loop and "in DEMO_ACCOUNTS:" in loop
    workflows = "".join(p.read_text() for p in ROOT.glob(".github/workflows/*.yml"))
    assert "SMOKE_STAFF_TOTP" not in workflows and "secrets.SMOKE" not in workflows  # read from SSM by bin/smoke
