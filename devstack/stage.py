"""`bin/stage`: deploy any git branch as its own AWS stage, tear it down, replay its failures.

    bin/stage up [BRANCH] [--dry-run]       package, deploy (CloudFormation), configure, print the URL
    bin/stage down [BRANCH] [--dry-run]     empty the bucket, delete the stack, secret, parameters, logs
    bin/stage redrive [BRANCH] [--dry-run]  replay the stream-failure queue (within the stream's 24 h)
    bin/stage rotate-secret [BRANCH] [--dry-run]  a new session secret, and new containers that read it
    bin/stage prune [--days N] [--dry-run]  `down` every branch stage whose branch is gone or stale
    bin/stage names [BRANCH]                print the stage's resource names (JSON)

BRANCH defaults to the checked-out git branch; `main` is the `dev` stage, every
other branch a `br-` stage, and `--stage dev|prod` names a fixed stage directly
(devstack/names.py has the naming rules). `down` given a branch tears down only
a `br-` stage; `--stage prod` is refused outside .github/workflows/prod.yml unless
`--break-glass` (`resolve_stage`). Every AWS call goes through `Aws.call`, which prints it first;
with `--dry-run` it only prints (and answers as a fresh account would), which
is how the tests see the whole plan without an AWS account. The calls are
boto3's, so moto stands in for S3, SSM, CloudFormation, SQS, logs and streams
in the tests of `down`, the secret and `redrive`.

Settings (environment):
- ESURETY_ARTIFACTS_BUCKET  where packages and templates are uploaded (required by `up`)
- ESURETY_SES_DOMAIN        a verified SES domain; the stage sends as no-reply-<stage>@ it
                            (prod: no-reply@), or ESURETY_SES_SENDER to name the address
- ESURETY_DOMAIN_NAME, ESURETY_HOSTED_ZONE_ID   the optional custom domain of the stage
- ESURETY_ALARM_EMAIL       subscribed to the stage's alarm topic
- ESURETY_TSA_URL           the RFC 3161 timestamp authority PDFs are stamped by (default
                            DEFAULT_TSA_URL); another TSA needs ESURETY_TSA_ROOTS, a PEM
                            file of its trust roots (README, Signed PDFs)
- ESURETY_ADMIN_EMAIL       the first administrator of a new stage (bin/admin create-first)
- AWS_REGION                default ap-northeast-1
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from devstack.names import StageNames, is_branch_stage, stage_for_branch

ROOT = Path(__file__).resolve().parent.parent
TABLES = (
    "accounts",
    "sessions",
    "orderers",
    "applications",
    "guarantees",
    "certificates",
    "counters",
    "idempotency",
    "attempts",
    "notifications",
    "access_log",
    "inbox",
    "organisations",
    "tokens",
    "clients",
    "audit",
    "suppressions",
    "approvals",
    "events",
    "drafts",
    "fee_rates",
    "fees",
    "reservations",
    "departments",  # issue 29
    "deliveries",
    "webhooks",  # issue 30
    "webhook_messages",
)  # chalicelib/settings.py TABLES; repeated so this tool imports nothing of the app
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
DRY_ACCOUNT = "123456789012"
STREAM_RETENTION = dt.timedelta(hours=24)
#: The timestamp authority of a deployed stage unless ESURETY_TSA_URL names another: DigiCert's
#: public RFC 3161 service (free, no account), and its roots, committed (README, Signed PDFs).
DEFAULT_TSA_URL = "http://timestamp.digicert.com"
DEFAULT_TSA_ROOTS = "deploy/signing/digicert-tsa-roots.pem"


class Missing(Exception):
    """An AWS answer meaning "no such thing" (parameter, stack, bucket)."""


class Aws:
    """Every AWS call of this tool: printed, then made (or, in a dry run, only printed)."""

    def __init__(self, region: str, dry_run: bool, out: TextIO = sys.stdout, account: str | None = None) -> None:
        self.region = region
        self.dry_run = dry_run
        self.out = out
        self._account = account
        self._clients: dict[str, Any] = {}
        self.dry_stack_created = False  # a dry run's stack "exists" once its change set was executed

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        shown = {k: _shorten(v) for k, v in params.items()}
        if params.get("Type") == "SecureString":
            shown["Value"] = "<secret>"  # never printed, not even in CI logs
        prefix = "DRY-RUN aws" if self.dry_run else "aws"
        self.out.write(f"{prefix} {service} {operation} {json.dumps(shown, ensure_ascii=False, default=str)}\n")
        if self.dry_run:
            return _dry_answer(service, operation, params, self)
        from botocore.exceptions import ClientError

        try:
            return getattr(self.client(service), operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", ""), error.get("Message", "")
            if code in MISSING_CODES or (code == "ValidationError" and "does not exist" in message):
                raise Missing(code) from exc
            raise

    def wait(self, service: str, waiter: str, **params: Any) -> None:
        prefix = "DRY-RUN aws" if self.dry_run else "aws"
        self.out.write(f"{prefix} {service} wait:{waiter} {json.dumps(params, default=str)}\n")
        if not self.dry_run:
            self.client(service).get_waiter(waiter).wait(**params, WaiterConfig={"Delay": 5, "MaxAttempts": 360})

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.call("sts", "get_caller_identity").get("Account", DRY_ACCOUNT)
        return self._account


MISSING_CODES = {
    "ParameterNotFound",
    "NoSuchBucket",
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
}


def _shorten(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > 300:
        return value[:120] + f"…<{len(value)} chars>"
    return value


def _dry_answer(service: str, operation: str, params: dict[str, Any], aws: Aws) -> dict[str, Any]:
    """What a fresh account answers: no stack, no secret yet; outputs as the template declares them."""
    if (service, operation) == ("sts", "get_caller_identity"):
        return {"Account": aws._account or DRY_ACCOUNT}
    if (service, operation) == ("ssm", "get_parameter"):
        raise Missing("dry run: a fresh account")
    if (service, operation) == ("cloudformation", "describe_stacks"):
        if "StackName" not in params:
            return {"Stacks": []}
        if aws.dry_stack_created:
            stage = params["StackName"].removeprefix("esurety-")
            return {
                "Stacks": [
                    {
                        "StackName": params["StackName"],
                        "Outputs": [
                            {
                                "OutputKey": "PublicBaseUrl",
                                "OutputValue": f"https://<rest-api-id>.execute-api.{aws.region}.amazonaws.com/api",
                            },
                            {
                                "OutputKey": "PdfBucketName",
                                "OutputValue": StageNames(stage, aws.account, aws.region).bucket,
                            },
                        ],
                    }
                ]
            }
        raise Missing("dry run: a fresh account")
    if (service, operation) == ("cloudformation", "execute_change_set"):
        aws.dry_stack_created = True
    if (service, operation) == ("sqs", "get_queue_url"):
        return {"QueueUrl": f"https://sqs.{aws.region}.amazonaws.com/{aws.account}/{params['QueueName']}"}
    return {}


# --- settings --------------------------------------------------------------------------------------


def ses_sender(stage: str) -> str:
    explicit = os.environ.get("ESURETY_SES_SENDER")
    if explicit:
        return explicit
    domain = os.environ.get("ESURETY_SES_DOMAIN", "e-surety.example.jp")
    return f"no-reply@{domain}" if stage == "prod" else f"no-reply-{stage}@{domain}"


def current_branch() -> str:
    for var in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME"):
        if os.environ.get(var):
            return os.environ[var]
    out = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip()


#: The one workflow that may deploy prod: on a tag or a manual run, its job in the GitHub
#: environment `prod` (required reviewers), whose OIDC role is the only one prod's stack trusts.
PROD_WORKFLOW = ".github/workflows/prod.yml"
#: What may touch prod outside that workflow only with --break-glass (down refuses prod always).
PROD_GUARDED = {"up", "rotate-secret", "redrive"}


def in_prod_workflow(env: Mapping[str, str] | None = None) -> bool:
    """Whether this process is the prod workflow's run (a guard against mistakes: the real gate is
    the prod role's OIDC `sub` condition, environment:prod, which only that job's token carries)."""
    env = os.environ if env is None else env
    return (
        env.get("GITHUB_ACTIONS") == "true"
        and f"/{PROD_WORKFLOW}@" in env.get("GITHUB_WORKFLOW_REF", "")
        and env.get("GITHUB_EVENT_NAME") in {"push", "workflow_dispatch"}
    )


def resolve_stage(
    branch: str | None, stage: str | None, command: str = "names", break_glass: bool = False, err: TextIO = sys.stderr
) -> tuple[str, str]:
    """(stage, branch) from the arguments, refusing what may not happen from here.

    - a branch never names prod, and only `main` names dev (devstack/names.py);
    - `down` (and so `prune`) tears down only `br-` stages when given a branch: deleting a branch
      named `main`, `dev` or `prod` tears nothing of a fixed stage down; `down --stage dev` is an
      operator's command, refused inside GitHub Actions; prod is never torn down;
    - `--stage prod` is refused outside the prod workflow unless `--break-glass` (README runbook).
    """
    if stage:
        if stage not in {"dev", "prod"} and not is_branch_stage(stage):
            raise SystemExit(f"stage: {stage!r} is neither dev, prod nor a br- stage")
        branch = branch or ""
    else:
        branch = branch or current_branch()
        stage = stage_for_branch(branch)
    if command == "down" and not is_branch_stage(stage):
        if stage == "prod":
            raise SystemExit("stage: prod is retained (DeletionPolicy Retain); it is never torn down by this command")
        if branch or os.environ.get("GITHUB_ACTIONS") == "true":
            raise SystemExit(
                f"stage: refused: `down` from a branch ({branch or 'CI'}) never tears down the fixed stage {stage}; "
                f"an operator runs `bin/stage down --stage {stage}` by hand"
            )
    if stage == "prod" and command in PROD_GUARDED and not in_prod_workflow():
        if not break_glass:
            raise SystemExit(
                f"stage: refused: `{command} --stage prod` runs only in {PROD_WORKFLOW} (a tag or a manual run "
                "through the `prod` environment's reviewers); in an emergency add --break-glass (README runbook)"
            )
        err.write(
            f"WARNING: --break-glass: `{command} --stage prod` from outside {PROD_WORKFLOW}. "
            "Record who and why in the incident log (README runbook, Break glass).\n"
        )
    return stage, branch


# --- up --------------------------------------------------------------------------------------------


def print_names(names: StageNames, out: TextIO) -> None:
    for kind, name in names.all(TABLES).items():
        out.write(f"name {kind} {name}\n")


def ensure_secret(aws: Aws, names: StageNames) -> bool:
    """Create the session-signing secret (SecureString) unless it exists; True when created.

    CloudFormation cannot create SecureString parameters, and an existing
    secret is never replaced (that would log everyone out).
    """
    name = names.parameter("session-secret")
    try:
        aws.call("ssm", "get_parameter", Name=name)
        return False
    except Missing:
        pass
    aws.call(
        "ssm",
        "put_parameter",
        Name=name,
        Value=secrets.token_urlsafe(48),
        Type="SecureString",
        Overwrite=False,
        Description=f"e-Surety {names.stage}: session-signing secret (bin/stage up)",
    )
    return True


def write_stage_values(aws: Aws, names: StageNames, public_base_url: str, sender: str) -> bool:
    """PUBLIC_BASE_URL and SES_SENDER for the functions to read at first use (settings.py); only
    those that changed (each put is a new version, and so new containers: config_version). True
    when one did."""
    wanted = {names.parameter("public-base-url"): public_base_url.rstrip("/"), names.parameter("ses-sender"): sender}
    stored = aws.call("ssm", "get_parameters", Names=list(wanted)).get("Parameters", [])
    have = {p["Name"]: p.get("Value") for p in stored}
    changed = [name for name, value in wanted.items() if have.get(name) != value]
    for name in changed:
        aws.call("ssm", "put_parameter", Name=name, Value=wanted[name], Type="String", Overwrite=True)
    return bool(changed)


def tsa_settings() -> tuple[str, str]:
    """(the stage's TSA URL, the PEM file of its trust roots): the template parameter
    SigningTsaUrl (the functions' SIGNING_TSA_URL) and what `bin/admin signing-chain --tsa-roots`
    puts in the bucket. A TSA other than the default must name its roots."""
    url = os.environ.get("ESURETY_TSA_URL") or DEFAULT_TSA_URL
    roots = os.environ.get("ESURETY_TSA_ROOTS") or ""
    if not re.fullmatch(r"https?://\S+", url):
        raise SystemExit(f"stage: ESURETY_TSA_URL {url!r} is not an http(s) URL")
    if not roots and url != DEFAULT_TSA_URL:
        raise SystemExit("stage: ESURETY_TSA_URL names another TSA: set ESURETY_TSA_ROOTS to the PEM file of its roots")
    return url, roots or DEFAULT_TSA_ROOTS


def package(stage: str, aws: Aws) -> Path:
    outdir = ROOT / "build" / f"stage-{stage}"
    aws.out.write(f"{'DRY-RUN ' if aws.dry_run else ''}run scripts/package {stage} {outdir}\n")
    if not aws.dry_run:
        subprocess.run(["bash", "scripts/package", stage, str(outdir)], cwd=ROOT, check=True)
    return outdir


def upload(aws: Aws, names: StageNames, outdir: Path, artifacts: str) -> str:
    """Upload the zip and the template (its CodeUri pointing at the zip); returns the template URL."""
    if aws.dry_run:
        zip_bytes, template = b"", {"Resources": {}}
    else:
        zip_bytes = (outdir / "deployment.zip").read_bytes()
        template = json.loads((outdir / "sam.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(zip_bytes).hexdigest()[:16]
    zip_key = f"esurety/{names.stage}/{digest}.zip"
    aws.call("s3", "put_object", Bucket=artifacts, Key=zip_key, Body=zip_bytes)
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": artifacts, "Key": zip_key}
    body = json.dumps(template).encode()
    template_key = f"esurety/{names.stage}/{digest}-{hashlib.sha256(body).hexdigest()[:8]}.template.json"
    aws.call("s3", "put_object", Bucket=artifacts, Key=template_key, Body=body)
    return f"https://{artifacts}.s3.{aws.region}.amazonaws.com/{template_key}"


def stack_exists(aws: Aws, names: StageNames) -> bool:
    """Whether the stack exists; a first deployment that rolled back is deleted so it can be created anew."""
    try:
        stacks = aws.call("cloudformation", "describe_stacks", StackName=names.stack).get("Stacks", [])
    except Missing:
        return False
    status = stacks[0].get("StackStatus", "") if stacks else ""
    if status == "ROLLBACK_COMPLETE":  # CloudFormation accepts no update of it, only deletion
        aws.call("cloudformation", "delete_stack", StackName=names.stack)
        aws.wait("cloudformation", "stack_delete_complete", StackName=names.stack)
        return False
    return bool(stacks) and status != "REVIEW_IN_PROGRESS"


def config_version(aws: Aws, names: StageNames) -> str:
    """The versions of the SSM values the functions read once per container (the session secret, the
    public URL, the sender), as the stack parameter `ConfigVersion`, which every function has as its
    CONFIG_VERSION: a new version of any of them changes the functions' configuration, so Lambda
    starts new containers, which read the new value (issue 24). The values themselves never leave SSM."""
    keys = ("session-secret", "public-base-url", "ses-sender")
    answer = aws.call("ssm", "get_parameters", Names=[names.parameter(k) for k in keys])
    versions = {p["Name"].rsplit("/", 1)[1]: p.get("Version", 0) for p in answer.get("Parameters", [])}
    return ",".join(f"{k}={versions.get(k, 0)}" for k in keys)


def service_role(aws: Aws) -> str:
    """The CloudFormation service role of the once-per-account bootstrap stack (README, Bootstrap):
    a stage's stack is created and changed with its rights, not the caller's."""
    return os.environ.get("ESURETY_CFN_ROLE_ARN") or f"arn:aws:iam::{aws.account}:role/esurety-cloudformation"


def apply_change_set(
    aws: Aws, names: StageNames, template_url: str, parameters: dict[str, str], tags: list[dict[str, str]], exists: bool
) -> bool:
    """Create and execute one change set; False when it holds no change."""
    change_set = f"deploy-{int(time.time())}"
    aws.call(
        "cloudformation",
        "create_change_set",
        StackName=names.stack,
        ChangeSetName=change_set,
        ChangeSetType="UPDATE" if exists else "CREATE",
        TemplateURL=template_url,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=CAPABILITIES,
        RoleARN=service_role(aws),
        Tags=tags,
    )
    try:
        aws.wait("cloudformation", "change_set_create_complete", StackName=names.stack, ChangeSetName=change_set)
    except Exception as exc:  # noqa: BLE001 - an empty change set is "nothing to deploy", not a failure
        described = aws.call("cloudformation", "describe_change_set", StackName=names.stack, ChangeSetName=change_set)
        if "didn't contain changes" in described.get("StatusReason", "") or "No updates" in described.get(
            "StatusReason", ""
        ):
            aws.out.write("stack: no changes\n")
            return False
        raise SystemExit(f"stack: change set failed: {described.get('StatusReason') or exc}") from exc
    aws.call("cloudformation", "execute_change_set", StackName=names.stack, ChangeSetName=change_set)
    aws.wait("cloudformation", "stack_update_complete" if exists else "stack_create_complete", StackName=names.stack)
    return True


def deploy(aws: Aws, names: StageNames, template_url: str, branch: str, sender: str) -> bool:
    """Create or update the stack through a change set; True when the stack was created."""
    exists = stack_exists(aws, names)
    parameters = {
        "Stage": names.stage,
        "SesSender": sender,
        "DomainName": os.environ.get("ESURETY_DOMAIN_NAME", ""),
        "HostedZoneId": os.environ.get("ESURETY_HOSTED_ZONE_ID", ""),
        "AlarmEmail": os.environ.get("ESURETY_ALARM_EMAIL", ""),
        "ConfigVersion": config_version(aws, names),
        "SigningTsaUrl": tsa_settings()[0],
    }
    tags = [
        {"Key": "esurety:stage", "Value": names.stage},
        {"Key": "esurety:branch", "Value": re.sub(r"[^\w .:/=+@-]", "_", branch)[:256] or "-"},
    ]
    return apply_change_set(aws, names, template_url, parameters, tags, exists) and not exists


def refresh_configuration(aws: Aws, names: StageNames, artifacts: str) -> bool:
    """Give the functions the current ConfigVersion when it changed: the stack's own template again
    (from CloudFormation, through the artifacts bucket), its parameters as they are but that one.
    True when the functions' configuration changed (Lambda recycles every container)."""
    (stack,) = aws.call("cloudformation", "describe_stacks", StackName=names.stack).get("Stacks", [{}])
    current = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    if "ConfigVersion" not in current and not aws.dry_run:
        raise SystemExit("stage: the stack predates ConfigVersion (issue 24): run bin/stage up once first")
    version = config_version(aws, names)
    if current.get("ConfigVersion") == version:
        aws.out.write(f"configuration: current ({version})\n")
        return False
    body = aws.call("cloudformation", "get_template", StackName=names.stack, TemplateStage="Original")
    template = body.get("TemplateBody", "{}")
    raw = (template if isinstance(template, str) else json.dumps(template)).encode()
    key = f"esurety/{names.stage}/config-{hashlib.sha256(raw).hexdigest()[:16]}.template.json"
    aws.call("s3", "put_object", Bucket=artifacts, Key=key, Body=raw)
    url = f"https://{artifacts}.s3.{aws.region}.amazonaws.com/{key}"
    changed = apply_change_set(aws, names, url, {**current, "ConfigVersion": version}, stack.get("Tags", []), True)
    aws.out.write(f"configuration: {current.get('ConfigVersion', '-')} -> {version}\n")
    return changed


def rotate_secret(aws: Aws, names: StageNames, artifacts: str) -> None:
    """`bin/stage rotate-secret`: a new session-signing secret, then the functions' configuration.
    Every session and page token signed with the old one stops working at once."""
    if not aws.dry_run:
        try:
            stack_outputs(aws, names)  # the stage must exist: refuse before the secret changes
        except Missing as exc:
            raise SystemExit(f"stage: {names.stack} does not exist: nothing to rotate") from exc
    aws.call(
        "ssm",
        "put_parameter",
        Name=names.parameter("session-secret"),
        Value=secrets.token_urlsafe(48),
        Type="SecureString",
        Overwrite=True,
        Description=f"e-Surety {names.stage}: session-signing secret (bin/stage rotate-secret)",
    )
    aws.dry_stack_created = True  # a dry run plans against a stack that exists
    refresh_configuration(aws, names, artifacts)


def stack_outputs(aws: Aws, names: StageNames) -> dict[str, str]:
    stacks = aws.call("cloudformation", "describe_stacks", StackName=names.stack).get("Stacks", [])
    return {o["OutputKey"]: o["OutputValue"] for o in (stacks[0].get("Outputs", []) if stacks else [])}


RATES_FILE = ROOT / "chalicelib" / "data" / "fee_rates.json"


def load_rates(aws: Aws, names: StageNames, path: Path = RATES_FILE) -> list[str]:
    """Write the 保証料 rate table (issue 17) into the stage's fee_rates table, one item per product.

    The same items chalicelib.store.fees.load_rate_table writes locally (the product's entry
    of the JSON file as a JSON string, its provenance, when it was loaded), validated by the
    pure domain/fees.py first so a bad file never reaches a stage. Every deploy reloads it:
    the rates are data in the repository, and a new container reads them at first use.
    """
    from chalicelib.domain.fees import PRODUCTS, parse_table  # pure Python: no AWS, no settings

    data = json.loads(path.read_text(encoding="utf-8"))
    table = parse_table(data)  # raises before any write
    raw = {p["product"]: p for p in data["products"]}
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for product in PRODUCTS:
        item = {
            "product": {"S": product},
            "table": {"S": json.dumps(raw[product], ensure_ascii=False, sort_keys=True)},
            "loaded_at": {"S": now},
        }
        if table.provenance:
            item["provenance"] = {"S": table.provenance}
        aws.call("dynamodb", "put_item", TableName=names.table("fee_rates"), Item=item)
    return list(PRODUCTS)


def run_admin(aws: Aws, *args: str) -> bool:
    """`bin/admin ARGS` (devstack/admin.py), its output copied: it prints no secret (issue 24)."""
    cmd = ["bash", str(ROOT / "bin" / "admin"), *args]
    aws.out.write(f"{'DRY-RUN ' if aws.dry_run else ''}run {' '.join(['bin/admin', *args])}\n")
    if aws.dry_run:
        return True
    result = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True)
    aws.out.write(result.stdout)
    if result.returncode != 0:
        aws.out.write(f"bin/admin {args[0]}: failed ({result.stderr.strip() or result.returncode})\n")
    return result.returncode == 0


def create_first_admin(aws: Aws, names: StageNames) -> None:
    """The first admin of a new stage: mailed a set-up link, which is also left in the SecureString
    `/esurety/<stage>/first-admin-link` for the operator; never printed (a CI log is readable)."""
    email = os.environ.get("ESURETY_ADMIN_EMAIL")
    if not email:
        aws.out.write("first admin: set ESURETY_ADMIN_EMAIL, then run bin/admin create-first --stage ...\n")
        return
    run_admin(aws, "create-first", "--stage", names.stage, "--login", "admin", "--email", email)


def ensure_smoke_fixture(aws: Aws, names: StageNames) -> None:
    """bin/smoke's accounts on every stage but prod (kept once made; devstack/smoke_fixture.py)."""
    if names.stage == "prod":
        return
    if not run_admin(aws, "smoke-fixture", "--stage", names.stage):
        raise SystemExit("stage: the smoke fixture could not be made (bin/admin smoke-fixture)")


def seal_stored_secrets(aws: Aws, names: StageNames) -> None:
    """TOTP secrets stored in plain before issue 26 sealed with the stage's key (bin/admin
    encrypt-secrets; store/sealed.py). Every `up` runs it: on a stage with none left it only reads."""
    if not run_admin(aws, "encrypt-secrets", "--stage", names.stage):
        raise SystemExit("stage: stored secrets could not be sealed (bin/admin encrypt-secrets)")


def ensure_signing_chain(aws: Aws, names: StageNames) -> None:
    """The stage's PDF signing chain, made once by `bin/admin signing-chain` (store/signer.py): a
    stage CA certificate for the CA key in KMS, the signing certificate for the signing key, a CRL;
    and the trust roots of the stage's TSA (`signing/tsa-roots.pem`, earlier ones kept)."""
    roots = tsa_settings()[1]
    args = ("--stage", names.stage, "--bucket", names.bucket, "--tsa-roots", roots)
    if not run_admin(aws, "signing-chain", *args):
        raise SystemExit("stage: the signing chain could not be made (bin/admin signing-chain)")


def count_lists(aws: Aws, names: StageNames) -> None:
    """The pager's counts of rows written before they were kept (bin/admin count-lists;
    store/list_counts.py): done once, later `up`s only read its marker."""
    if not run_admin(aws, "count-lists", "--stage", names.stage):
        raise SystemExit("stage: the list counts could not be back-filled (bin/admin count-lists)")


def up(aws: Aws, stage: str, branch: str) -> str:
    names = StageNames(stage, aws.account, aws.region)
    print_names(names, aws.out)
    artifacts = os.environ.get("ESURETY_ARTIFACTS_BUCKET") or ("<ESURETY_ARTIFACTS_BUCKET>" if aws.dry_run else "")
    if not artifacts:
        raise SystemExit("stage: set ESURETY_ARTIFACTS_BUCKET (the bucket packages are uploaded to)")
    sender = ses_sender(stage)
    tsa_settings()  # a TSA without its roots is refused before anything is built
    outdir = package(stage, aws)
    ensure_secret(aws, names)
    created = deploy(aws, names, upload(aws, names, outdir, artifacts), branch, sender)
    if names.stage == "prod":  # its tables have deletion protection (devstack/cfn.py), the stack this
        aws.call(
            "cloudformation", "update_termination_protection", StackName=names.stack, EnableTerminationProtection=True
        )
    url = stack_outputs(aws, names)["PublicBaseUrl"]
    if write_stage_values(aws, names, url, sender) and not created:
        refresh_configuration(aws, names, artifacts)  # warm containers keep the old URL or sender otherwise
    load_rates(aws, names)
    ensure_signing_chain(aws, names)
    seal_stored_secrets(aws, names)
    count_lists(aws, names)
    if created:
        create_first_admin(aws, names)
    ensure_smoke_fixture(aws, names)
    aws.out.write(f"URL {url}\n")
    return url


# --- down ------------------------------------------------------------------------------------------


def empty_bucket(aws: Aws, bucket: str) -> int:
    """Delete every object version and delete marker (a versioned bucket refuses deletion otherwise)."""
    removed = 0
    marker: dict[str, str] = {}
    while True:
        try:
            page = aws.call("s3", "list_object_versions", Bucket=bucket, **marker)
        except Missing:
            return removed
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        doomed += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
        for start in range(0, len(doomed), 1000):
            chunk = doomed[start : start + 1000]
            aws.call("s3", "delete_objects", Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            removed += len(chunk)
        if not page.get("IsTruncated"):
            return removed
        marker = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}


def down(aws: Aws, stage: str) -> None:
    if stage == "prod":
        raise SystemExit("stage: prod is retained (DeletionPolicy Retain); it is never torn down by this command")
    names = StageNames(stage, aws.account, aws.region)
    print_names(names, aws.out)
    removed = empty_bucket(aws, names.bucket)
    aws.out.write(f"bucket {names.bucket}: {removed} versions and delete markers removed\n")
    aws.call("cloudformation", "delete_stack", StackName=names.stack)
    aws.wait("cloudformation", "stack_delete_complete", StackName=names.stack)
    aws.call("ssm", "delete_parameters", Names=names.parameters)
    for group in names.log_groups:
        try:
            aws.call("logs", "delete_log_group", logGroupName=group)
        except Missing:
            pass  # the function never ran
    artifacts = os.environ.get("ESURETY_ARTIFACTS_BUCKET")
    if artifacts:
        remove_packages(aws, artifacts, stage)
    aws.out.write(f"stage {stage}: gone\n")


def remove_packages(aws: Aws, artifacts: str, stage: str, page: int = 1000) -> int:
    """Delete the stage's packages and templates from the artifacts bucket, every page of the listing
    (1,000 keys a page; a long-lived branch deploys more than that)."""
    removed = 0
    token: dict[str, str] = {}
    while True:
        listed = aws.call("s3", "list_objects_v2", Bucket=artifacts, Prefix=f"esurety/{stage}/", MaxKeys=page, **token)
        keys = [{"Key": o["Key"]} for o in listed.get("Contents", [])]
        if keys:
            aws.call("s3", "delete_objects", Bucket=artifacts, Delete={"Objects": keys, "Quiet": True})
            removed += len(keys)
        if not listed.get("IsTruncated"):
            return removed
        token = {"ContinuationToken": listed["NextContinuationToken"]}


# --- redrive ---------------------------------------------------------------------------------------

Invoker = Callable[[list[dict[str, Any]]], list[str]]


def lambda_invoker(aws: Aws, function: str) -> Invoker:
    """Invoke the deployed stream function with the replayed records; the sequence numbers it failed."""

    def invoke(records: list[dict[str, Any]]) -> list[str]:
        payload = json.dumps({"Records": records}, default=str).encode()
        answer = aws.call("lambda", "invoke", FunctionName=function, Payload=payload)
        if aws.dry_run:
            return []
        if answer.get("FunctionError"):
            return [r["dynamodb"]["SequenceNumber"] for r in records]
        result = json.loads(answer["Payload"].read() or b"{}")
        return [f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])]

    return invoke


def replay_records(aws: Aws, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream records a failure message points at (startSequenceNumber..endSequenceNumber)."""
    from devstack.pump import to_lambda_record

    start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    iterator = aws.call(
        "dynamodbstreams",
        "get_shard_iterator",
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    ).get("ShardIterator")
    records: list[dict[str, Any]] = []
    while iterator:
        page = aws.call("dynamodbstreams", "get_records", ShardIterator=iterator, Limit=100)
        batch = page.get("Records", [])
        for record in batch:
            seq = int(record["dynamodb"]["SequenceNumber"])
            if start <= seq <= end:
                records.append(to_lambda_record(record, info["streamArn"], aws.region))
        if not batch or int(batch[-1]["dynamodb"]["SequenceNumber"]) >= end:
            break
        iterator = page.get("NextShardIterator")
    return records


def function_for(names: StageNames, info: dict[str, Any]) -> str:
    """The function a failure message goes back to: the failure queue is shared by both stream
    functions, and the message's stream ARN (…:table/<name>/stream/<label>) says whose it was."""
    table = str(info.get("streamArn", "")).split(":table/", 1)[-1].split("/stream/", 1)[0]
    return names.events_function if table == names.table("events") else names.stream_function


def redrive(aws: Aws, stage: str, invoker: Invoker | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Replay every message of the failure queue; a replayed batch that succeeds leaves the queue.

    Each message holds only a pointer into the stream (Lambda's on-failure
    record for stream sources); the records themselves are read back from the
    stream, which keeps them 24 hours. A pointer older than that is reported
    and left in the queue for a person to decide (the mail can be resent by
    recording a 訂正).
    """
    names = StageNames(stage, aws.account, aws.region)
    url = aws.call("sqs", "get_queue_url", QueueName=names.failure_queue)["QueueUrl"]
    counts = {"replayed": 0, "failed": 0, "expired": 0}
    now = now or dt.datetime.now(dt.UTC)
    seen: set[str] = set()
    while True:
        answer = aws.call(
            "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
        )
        messages = [m for m in answer.get("Messages", []) if m["MessageId"] not in seen]
        if not messages:
            break
        for message in messages:
            seen.add(message["MessageId"])
            info = json.loads(message["Body"]).get("DDBStreamBatchInfo") or {}
            first = info.get("approximateArrivalOfFirstRecord")
            if first and now - dt.datetime.fromisoformat(first.replace("Z", "+00:00")) > STREAM_RETENTION:
                counts["expired"] += 1
                aws.out.write(f"redrive: {message['MessageId']} points past the stream's 24 h retention\n")
                continue
            records = replay_records(aws, info)
            invoke = invoker or lambda_invoker(aws, function_for(names, info))
            failures = invoke(records) if records else []
            if failures:
                counts["failed"] += 1
                aws.out.write(f"redrive: {message['MessageId']} still failing ({len(failures)} records)\n")
                continue
            aws.call("sqs", "delete_message", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            counts["replayed"] += 1
    aws.out.write(f"redrive: {json.dumps(counts)}\n")
    return counts


# --- prune -----------------------------------------------------------------------------------------


def remote_branches() -> set[str]:
    out = subprocess.run(
        ["git", "ls-remote", "--heads", "origin"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return {line.split("refs/heads/", 1)[1] for line in out.stdout.splitlines() if "refs/heads/" in line}


def prune(aws: Aws, days: int, branches: set[str] | None = None) -> list[str]:
    """`down` every branch stage whose branch no longer exists, or that nobody deployed for `days`."""
    alive = {stage_for_branch(b) for b in (branches if branches is not None else remote_branches())}
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    stale = []
    stacks: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = aws.call("cloudformation", "describe_stacks", **token)
        stacks += page.get("Stacks", [])
        if not page.get("NextToken"):
            break
        token = {"NextToken": page["NextToken"]}
    for stack in stacks:
        name = stack["StackName"]
        if not name.startswith("esurety-br-"):
            continue
        stage = name.removeprefix("esurety-")
        updated = stack.get("LastUpdatedTime") or stack.get("CreationTime")
        if is_branch_stage(stage) and (stage not in alive or (updated and updated < cutoff)):
            stale.append(stage)  # never dev or prod, whatever a stack is called
    for stage in stale:
        down(aws, stage)
    aws.out.write(f"prune: {len(stale)} stale branch stages removed\n")
    return stale


# --- command line ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="bin/stage", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "redrive", "rotate-secret", "names"):
        p = sub.add_parser(name)
        p.add_argument("branch", nargs="?")
        p.add_argument("--stage", help="dev or prod (or a br- stage) instead of a branch")
        p.add_argument("--dry-run", action="store_true", help="print every AWS call instead of making it")
        p.add_argument("--account", help="the account id to print names with in a dry run")
        p.add_argument("--break-glass", action="store_true", help="prod outside its workflow (README runbook)")
    p = sub.add_parser("prune")
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--account")
    args = parser.parse_args(argv)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-northeast-1"
    listing = args.command == "names"
    aws = Aws(region, args.dry_run or listing, out, args.account or (DRY_ACCOUNT if listing else None))
    if args.command == "prune":
        prune(aws, args.days)
        return 0
    stage, branch = resolve_stage(args.branch, args.stage, args.command, args.break_glass, err=sys.stderr)
    if args.break_glass and stage == "prod" and args.command in PROD_GUARDED and not in_prod_workflow():
        out.write("WARNING: --break-glass (prod outside its workflow)\n")
    out.write(f"stage {stage} (branch {branch or '-'}, region {region})\n")
    if args.command == "names":
        out.write(json.dumps(StageNames(stage, aws.account, region).all(TABLES), indent=2) + "\n")
    elif args.command == "up":
        up(aws, stage, branch)
    elif args.command == "down":
        down(aws, stage)
    elif args.command == "redrive":
        redrive(aws, stage)
    elif args.command == "rotate-secret":
        artifacts = os.environ.get("ESURETY_ARTIFACTS_BUCKET") or ("<ESURETY_ARTIFACTS_BUCKET>" if aws.dry_run else "")
        if not artifacts:
            raise SystemExit("stage: set ESURETY_ARTIFACTS_BUCKET (the stack's template goes through it)")
        rotate_secret(aws, StageNames(stage, aws.account, region), artifacts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
