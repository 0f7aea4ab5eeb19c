"""`scripts/package` builds what Lambda gets, and cfn-lint accepts the merged template.

This is how deploys are proven here (no AWS account): the SAM template that
`chalice package --merge-template` emits is validated, and the zip is checked
for the files Lambda needs and for what it must not carry.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.handlers import binary
from devstack import cfn
from tests.conftest import ROOT

#: The `.pyc` tag of the interpreter that builds the package (Chalice takes Lambda's runtime from it).
TAG = f"cpython-{sys.version_info.major}{sys.version_info.minor}"

#: One worker builds the package, once: the copies share chalice's cache of built dependencies, and two
#: builds at once (one per xdist worker, when the module's tests were split) read each other's half-written
#: zip ("Reusing existing deployment package" … BadZipFile).
pytestmark = pytest.mark.xdist_group("package-build")

_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".venv313", "deployments", "__pycache__", ".*_cache", ".hypothesis"
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the checkout to package: scripts/package copies templates/ into chalicelib/assets/
    while it runs, and tests running at the same time (pytest -n) would read them half-copied.
    It shares the virtualenv and chalice's cache of built dependencies with the real checkout."""
    copy = tmp_path_factory.mktemp("checkout") / "esurety"
    shutil.copytree(ROOT, copy, ignore=_NOT_COPIED)
    (copy / ".venv").symlink_to((ROOT / ".venv").resolve())
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(exist_ok=True)
    (copy / ".chalice" / "deployments").symlink_to(cache)
    return copy


@pytest.fixture(scope="module")
def package(tmp_path_factory, checkout):
    out = tmp_path_factory.mktemp("package") / "out"
    done = subprocess.run(
        ["bash", "scripts/package", "dev", str(out)], cwd=checkout, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"scripts/package failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return out


def _prod_template(package: Path) -> dict:
    """The same package for prod: chalice's merge of the template over it, then the package step's."""
    from chalice.package import TemplateDeepMerger

    from devstack import package as packaging

    dev_template = json.loads((package / "sam.json").read_text())
    return packaging.finish(TemplateDeepMerger().merge(cfn.template(), dev_template), "prod")


BRANCH = "br-feature-new-thing-42-5c921e"


@pytest.fixture(scope="module")
def lint_findings(package, tmp_path_factory) -> dict[str, list[str]]:
    """cfn-lint's findings for the packaged template (dev), the same pinned to a branch stage and the
    prod template, by name: one cfn-lint run over the three (each run first loads its rules and specs)."""
    from devstack import package as packaging

    out = tmp_path_factory.mktemp("lint")
    dev = json.loads((package / "sam.json").read_text())
    paths = {"dev": package / "sam.json", "branch": out / "branch.json", "prod": out / "prod.json"}
    paths["branch"].write_text(json.dumps(packaging.pin(dev, BRANCH)))
    paths["prod"].write_text(json.dumps(_prod_template(package)))
    lint = shutil.which("cfn-lint", path=str(ROOT / ".venv" / "bin")) or shutil.which("cfn-lint")
    if lint is None:
        pytest.fail("cfn-lint is in requirements-dev.txt and must be installed")
    result = subprocess.run(
        [lint, "--format", "parseable", *map(str, paths.values())], capture_output=True, text=True, timeout=600
    )
    findings = {
        name: [line for line in result.stdout.splitlines() if line.startswith(f"{path}:")]
        for name, path in paths.items()
    }
    # Any exit but 0 must come with findings of ours (not a crash of the tool, which names no file)
    assert result.returncode == 0 or any(findings.values()), result.stdout + result.stderr
    return findings


def test_zip_carries_templates_font_and_license_but_no_test_tools(package, checkout):
    with zipfile.ZipFile(package / "deployment.zip") as z:
        names = set(z.namelist())
    assert "app.py" in names
    assert "chalicelib/assets/fonts/ipaexg.ttf" in names
    assert "chalicelib/assets/fonts/IPA_Font_License_Agreement_v1.0.txt" in names
    assert "chalicelib/assets/templates/html/base.html" in names
    assert "chalicelib/data/fee_rates.json" in names  # issue 17: the 保証料 rate table the stage loads
    assert not any(n.startswith(("moto/", "pytest/", "playwright/", "devstack/", "tests/")) for n in names)
    # Issue 11: every template also travels precompiled (python -m chalicelib.render.templates compile).
    compiled = [n for n in names if re.match(r"chalicelib/assets/templates_compiled/tmpl_\w+\.py$", n)]
    sources = [n for n in names if n.startswith("chalicelib/assets/templates/") and n.endswith((".html", ".txt"))]
    assert sources and len(compiled) == len(sources)
    # The checkout keeps reading templates/ directly after packaging.
    assert not (checkout / "chalicelib" / "assets" / "templates").exists()
    assert not (checkout / "chalicelib" / "assets" / "templates_compiled").exists()
    assert not (ROOT / "chalicelib" / "assets" / "templates").exists()


def test_merged_template_has_the_stage_resources_and_passes_cfn_lint(package, lint_findings):
    template = json.loads((package / "sam.json").read_text())
    resources = template["Resources"]
    assert resources["CertificatesTable"]["Properties"]["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    events = resources["CertificateStream"]["Properties"]["Events"]
    (mapping,) = events.values()
    assert mapping["Properties"]["Stream"] == {"Fn::GetAtt": ["CertificatesTable", "StreamArn"]}
    assert resources["APIHandler"]["Properties"]["Environment"]["Variables"]["STAGE"] == {"Ref": "Stage"}
    # API Gateway gets the request-side binary types (CP932 CSV, multipart), not the function's shorter list.
    body = resources["RestAPI"]["Properties"]["DefinitionBody"]
    assert body["x-amazon-apigateway-binary-media-types"] == binary.GATEWAY
    # Every function chalice packaged (a new event handler too) has its name and its own role from the
    # merge template: a role the template does not state would carry the whole policy-<stage>.json.
    merged = cfn.template()["Resources"]
    functions = {k: r for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == {
        "APIHandler",
        "CertificateStream",
        "EventStream",
        "SesFeedback",
        "ReconcilePdfs",
        "WebhookSender",
        "DailyReminders",
    }
    for logical, fn in functions.items():
        assert fn["Properties"]["FunctionName"] == merged[logical]["Properties"]["FunctionName"]
        (role,) = [fn["Properties"]["Role"]["Fn::GetAtt"][0]]
        assert resources[role]["Properties"]["Policies"] == merged[role]["Properties"]["Policies"], logical
    assert lint_findings["dev"] == []


# --- issue 12: lean, precompiled, pinned --------------------------------------------------------------

BUILD_TOOLS = {"pip", "setuptools", "click", "wheel", "inquirer", "_distutils_hack", "pkg_resources", "chalice_cli"}


def test_zip_is_lean_boto3_matches_its_botocore_and_every_module_is_precompiled(package):
    from packaging.specifiers import SpecifierSet

    from devstack import package as packaging

    with zipfile.ZipFile(package / "deployment.zip") as z:
        names = set(z.namelist())
        tops = {n.split("/", 1)[0] for n in names}
        assert not tops & BUILD_TOOLS, sorted(tops & BUILD_TOOLS)
        chalice = {n for n in names if n.startswith("chalice/")}
        assert {n.replace("__pycache__/", "").split(".")[0] for n in chalice} == {"chalice/__init__", "chalice/app"}
        boto3_meta = next(n for n in names if re.match(r"boto3-[\d.]+\.dist-info/METADATA$", n))
        spec = re.search(r"^Requires-Dist: botocore ?\(?([^;)\n]+)", z.read(boto3_meta).decode(), re.MULTILINE).group(1)
        botocore = next(n for n in names if re.match(r"botocore-[\d.]+\.dist-info/METADATA$", n))
        version = re.match(r"botocore-([\d.]+)\.dist-info/", botocore).group(1)
        assert version in SpecifierSet(spec.replace(" ", "")), (version, spec)
        sources = [
            n
            for n in names
            if n.endswith(".py") and (n == "app.py" or n.startswith(("chalicelib/", "pynamodb/", "jinja2/", "fpdf/")))
        ]
        assert len(sources) > 50
        for source in sources:
            folder, _, file = source.rpartition("/")
            cached = (folder + "/" if folder else "") + f"__pycache__/{file[:-3]}.{TAG}.pyc"
            assert cached in names, cached
        flags = int.from_bytes(z.read(f"chalicelib/__pycache__/settings.{TAG}.pyc")[4:8], "little")
        assert flags == 0b01  # hash-based, unchecked: no source stat on Lambda's read-only code directory
        # botocore's data slimmed (issue 32): endpoints of the kept services only, models without documentation
        endpoints = json.loads(z.read("botocore/data/endpoints.json"))
        prefixes = {"email" if name == "ses" else name for name in packaging.BOTOCORE_SERVICES}  # SES's prefix
        assert {s for p in endpoints["partitions"] for s in p["services"]} == prefixes
        assert "botocore/data/dynamodb/2012-08-10/service-2.json" in names
        assert not [n for n in names if n.startswith("botocore/data/") and n.endswith("service-2.json.gz")]


def test_unzipped_package_imports_every_module_alone_renders_every_pdf_and_mail_and_has_each_services_client(
    package, tmp_path
):
    import os
    import sys

    from devstack import package as packaging

    task = tmp_path / "task"
    task.mkdir()
    with zipfile.ZipFile(package / "deployment.zip") as z:
        z.extractall(task)
    probe = tmp_path / "probe.py"
    shutil.copy(ROOT / "tests" / "tooling" / "package_probe.py", probe)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "STAGE": "local",
        "AWS_REGION": "ap-northeast-1",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "SESSION_SECRET": "probe-secret-0123456789abcdef0123456789",
        "SIGNING_LOCAL_DIR": str(tmp_path / "signing-local"),
        "PUBLIC_BASE_URL": "https://e-surety.example.jp",
        "LANG": "C.UTF-8",
    }
    services = ",".join(packaging.BOTOCORE_SERVICES)
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(probe), str(task), services],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["failures"] == []  # every module imported, every PDF and mail rendered, every client made
    assert report["outside"] == []  # nothing imported from outside the package and the standard library
    assert report["modules"] > 100
    expected_pdfs = {"certificate", "key_notice", "paper_certificate", "reservation", "reservation_key_notice"}
    assert set(report["pdfs"]) == expected_pdfs | {"fee_statement"}
    assert all(magic == "%PDF-" and size > 10_000 for size, magic in report["pdfs"].values()), report["pdfs"]
    # 8 completion mails, the account mail, 2 staff-event notices, the 保証期限 reminder and 4 delivery notices
    assert len(report["mails"]) == 16 and all(report["mails"].values()), report["mails"]
    assert "発行完了" in report["mails"]["new/electronic"]
    assert report["clients"] == list(packaging.BOTOCORE_SERVICES)
    assert report["signed"] == "valid"  # pyHanko, lxml and asn1crypto survived the pruning
    # botocore's data is there for exactly those services (the rest was pruned)
    assert {p.name for p in (task / "botocore" / "data").iterdir() if p.is_dir()} == set(packaging.BOTOCORE_SERVICES)
    assert report["app_cached"].endswith(f"app.{TAG}.pyc")
    # The packaged container found the precompiled templates and rendered the mail from them.
    assert report["template_loader"] == "ModuleLoader"
    assert report["template_modules"] >= 2  # the completion mail's text and HTML parts at least
    # Issue 17: the packaged rate table is where store/fees looks for it, and it parses.
    assert report["fee_products"] == ["advance_payment", "contract_guarantee", "reservation"]
    size = (package / "deployment.zip").stat().st_size
    with zipfile.ZipFile(package / "deployment.zip") as z:
        unzipped = sum(i.file_size for i in z.infolist())
    assert size < 50 * 1000 * 1000  # Lambda's direct-upload limit (50 MB)
    # Figures, not assertions (timings on a shared 2-core machine are noisy).
    print(
        f"\npackage: zip {size / 1e6:.1f} MB ({unzipped / 1e6:.1f} MB unzipped); "
        f"import app {report['import_ms']} ms; certificate+key notice {report['render_ms']} ms"
    )


def test_the_template_is_pinned_to_its_stage_and_a_branch_package_deletes_cleanly(package, lint_findings):
    from devstack import package as packaging

    template = json.loads((package / "sam.json").read_text())
    assert template["Parameters"]["Stage"]["Default"] == "dev"
    assert template["Parameters"]["Stage"]["AllowedValues"] == ["dev"]
    stateful = [r for r in template["Resources"].values() if "DeletionPolicy" in r]
    assert len(stateful) >= 13 and all(r["DeletionPolicy"] == "Delete" for r in stateful)
    prod = packaging.pin(template, "prod")
    assert all(r["DeletionPolicy"] == "Retain" for r in prod["Resources"].values() if "DeletionPolicy" in r)
    tables = [r for r in prod["Resources"].values() if r.get("Type") == "AWS::DynamoDB::Table"]
    assert all(t["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] for t in tables)
    branch = packaging.pin(template, BRANCH)
    assert branch["Parameters"]["Stage"]["AllowedValues"] == [BRANCH]
    with pytest.raises(ValueError):
        packaging.pin(template, "feature/New_Thing-42")
    assert lint_findings["branch"] == []  # the same pinning, linted


# --- issue 24: the API has one door per stage, not a third --------------------------------------------


def test_sam_translates_the_package_into_one_api_stage_without_its_extra_stage_named_stage(package):
    """aws-sam-translator (what CloudFormation's SAM transform runs) on the packaged template: without
    OpenApiVersion it gives the Deployment `StageName: Stage`, an unmanaged stage beside `api`."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    template = json.loads((package / "sam.json").read_text())
    assert template["Resources"]["RestAPI"]["Properties"]["OpenApiVersion"] == "2.0"
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/esurety/dev/x.zip"  # as bin/stage uploads it
    translated = transform(template, {"Stage": "dev"}, NoManagedPolicies())["Resources"]
    stages = [r["Properties"]["StageName"] for r in translated.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    (deployment,) = [r for r in translated.values() if r["Type"] == "AWS::ApiGateway::Deployment"]
    assert stages == ["api"] and "StageName" not in deployment["Properties"]
    functions = [r for r in translated.values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 7  # api, two streams, SES feedback, reconciler, webhook sender, reminders
    assert all(
        f["Properties"]["Environment"]["Variables"]["CONFIG_VERSION"] == {"Ref": "ConfigVersion"} for f in functions
    )


# --- the live alias everywhere, canary in prod; the services botocore's data is kept for ---------------------


def _translated(template: dict, stage: str) -> dict:
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    template = json.loads(json.dumps(template))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/esurety/dev/x.zip"  # as bin/stage uploads it
    return transform(template, {"Stage": stage}, NoManagedPolicies())["Resources"]


def _unqualified_calls(resources: dict) -> list[str]:
    """Every place outside a function's own version and alias that names a function itself (Ref, GetAtt,
    or `${Fn}` / `${Fn.Arn}` in a Sub) rather than its alias: integration URIs, permissions, mappings,
    subscriptions, schedule targets."""
    functions = {k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    found = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            if node.get("Ref") in functions or (node.get("Fn::GetAtt") or [None])[0] in functions:
                found.append(f"{where}: {node}")
            sub = node.get("Fn::Sub")
            text = sub if isinstance(sub, str) else (sub[0] if isinstance(sub, list) else "")
            for name in re.findall(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}", text or ""):
                if name in functions:
                    found.append(f"{where}: {text}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    for logical, resource in resources.items():
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias"):
            continue
        walk(resource.get("Properties", {}), logical)
    return found


def test_api_gateway_mappings_subscriptions_and_the_schedule_call_the_live_alias_and_prod_shifts_by_canary(
    package, lint_findings
):
    from devstack import package as packaging

    dev_template = json.loads((package / "sam.json").read_text())
    dev = _translated(dev_template, "dev")
    assert _unqualified_calls(dev) == []
    aliases = {k: r for k, r in dev.items() if r["Type"] == "AWS::Lambda::Alias"}
    assert len(aliases) == len(cfn.FUNCTIONS) and all(r["Properties"]["Name"] == "live" for r in aliases.values())
    callers = [r for r in dev.values() if r["Type"] in ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping")]
    assert len(callers) >= 5 and all(r["Properties"]["FunctionName"]["Ref"] in aliases for r in callers)
    body = dev["RestAPI"]["Properties"]["Body"]
    uris = {
        op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"] for p in body["paths"].values() for op in p.values()
    }
    assert uris == {
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${APIHandlerAliaslive}/invocations"
    }
    groups = [r["Properties"] for r in dev.values() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"]
    assert len(groups) == len(cfn.FUNCTIONS) and {
        g["DeploymentConfigName"]["Fn::Sub"][1]["ConfigName"] for g in groups
    } == {"AllAtOnce"}
    assert all("AlarmConfiguration" not in g for g in groups)
    # SnapStart on the published versions of the API and stream functions, where the runtime has it (3.12+).
    snap = {k: r["Properties"].get("SnapStart") for k, r in dev.items() if r["Type"] == "AWS::Lambda::Function"}
    with_snapstart = packaging.runtime_version(dev_template) >= packaging.SNAPSTART_SINCE
    assert {k for k, v in snap.items() if v} == (set(cfn.SNAPSTART_FUNCTIONS) if with_snapstart else set())
    assert all(v == {"ApplyOn": "PublishedVersions"} for v in snap.values() if v)

    # The same package for prod: canary with automatic rollback on the alarms that see application errors.
    prod = _translated(_prod_template(package), "prod")
    assert _unqualified_calls(prod) == []
    groups = [r["Properties"] for r in prod.values() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"]
    for group in groups:
        assert group["DeploymentConfigName"]["Fn::Sub"][1]["ConfigName"] == cfn.PROD_DEPLOYMENT
        assert [a["Name"] for a in group["AlarmConfiguration"]["Alarms"]] == [{"Ref": a} for a in cfn.ROLLBACK_ALARMS]
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    stream = prod["CertificateStream"]["Properties"]
    assert stream["ReservedConcurrentExecutions"] == cfn.STREAM_RESERVED_CONCURRENCY
    assert all(
        r["Properties"]["DeletionProtectionEnabled"] is True
        for r in prod.values()
        if r["Type"] == "AWS::DynamoDB::Table"
    )
    assert "ReservedConcurrentExecutions" not in dev["CertificateStream"]["Properties"]
    assert lint_findings["prod"] == []


def test_botocore_data_is_kept_for_exactly_the_services_the_code_names():
    """devstack/package.py BOTOCORE_SERVICES against every `client("…")` / `aws_client("…")` of chalicelib:
    a module that calls a new service without adding it to the list (one line) fails here, and the zip
    would lack its data."""
    from devstack import package as packaging

    named = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        named |= set(
            re.findall(r"(?:\bclient|create_client|aws_client)\(\s*\"([a-z0-9-]+)\"", path.read_text(encoding="utf-8"))
        )
    assert named == set(packaging.BOTOCORE_SERVICES)
    assert list(packaging.BOTOCORE_SERVICES) == sorted(packaging.BOTOCORE_SERVICES)


#: One call of each service the functions use, with parameters that reach the URL and the body.
SLIM_CALLS = {
    "dynamodb": ("get_item", {"TableName": "esurety-dev-guarantees", "Key": {"number": {"S": "30026-000777M"}}}),
    "kms": ("describe_key", {"KeyId": "alias/esurety-dev-signing"}),
    "s3": ("get_object", {"Bucket": "esurety-dev-pdf", "Key": "guarantees/30026-000777M.pdf"}),
    "ses": ("send_raw_email", {"RawMessage": {"Data": b"Subject: x\r\n\r\nx"}}),
    "ssm": ("get_parameters", {"Names": ["/esurety/dev/ses-sender"], "WithDecryption": True}),
}
#: Headers that change with every request (time, ids) or carry the signature itself.
_VOLATILE = {"x-amz-date", "authorization", "user-agent", "amz-sdk-invocation-id", "amz-sdk-request"}


class _Sent(Exception):
    """Raised by a before-send handler: the request botocore would send, unsent."""

    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def _what_is_sent(session, service: str, region: str, endpoint: str | None) -> tuple:
    """(region, endpoint, partition, method, URL, stable headers, body, credential scope) of SLIM_CALLS[service]."""
    import botocore.config

    client = session.create_client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="AKIDSLIMTEST",
        aws_secret_access_key="slim-test-secret",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )

    def capture(request, **_):
        raise _Sent(request)

    client.meta.events.register("before-send", capture)
    operation, params = SLIM_CALLS[service]
    try:
        getattr(client, operation)(**params)
    except _Sent as sent:
        request = sent.request
    except Exception as error:  # botocore refusing the call (a region without the service): the same refusal
        return (type(error).__name__, str(error))
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in _VOLATILE}
    scope = re.search(r"Credential=AKIDSLIMTEST/\d{8}/([^,]+),", request.headers["Authorization"].decode()).group(1)
    meta = (client.meta.region_name, client.meta.endpoint_url, client.meta.partition)
    return (*meta, request.method, request.url, headers, request.body, scope)


def test_slim_botocore_data_makes_the_requests_botocores_own_data_makes(tmp_path):
    """devstack/package.py slims the zip's botocore data (issue 32): the first client of a cold container
    parses ~30 KB of endpoints instead of 1.2 MB. Clients made from the slim data must send what stock
    botocore sends: the same URL, headers, body and signing scope for each service, in AWS's, China's and
    GovCloud's partitions, with and without an endpoint URL (the local stack's)."""
    import botocore
    import botocore.loaders
    import botocore.session

    from devstack import package as packaging

    stock_data = Path(botocore.__file__).parent / "data"
    data = tmp_path / "data"
    data.mkdir()
    for item in stock_data.iterdir():
        if item.is_file():
            shutil.copy2(item, data / item.name)
        elif item.name in packaging.BOTOCORE_SERVICES:
            shutil.copytree(item, data / item.name)
    removed = packaging.slim_botocore_data(data)
    assert removed > 1_000_000  # endpoints.json alone was 1.2 MB

    class SlimLoader(botocore.loaders.Loader):
        BUILTIN_DATA_PATH = str(data)  # where the zip's botocore finds its data: its own folder

    slim, stock = botocore.session.get_session(), botocore.session.get_session()
    slim.register_component("data_loader", SlimLoader())
    assert slim.get_component("data_loader").load_data_with_path("endpoints")[1] == str(data / "endpoints")
    resolvers = [s.get_component("endpoint_resolver") for s in (slim, stock)]
    compared = 0
    for service in packaging.BOTOCORE_SERVICES:
        prefix = stock.get_service_model(service).endpoint_prefix
        for region in ("ap-northeast-1", "us-east-1", "cn-north-1", "us-gov-west-1"):
            slim_legacy, stock_legacy = (r.construct_endpoint(prefix, region) for r in resolvers)
            assert slim_legacy == stock_legacy and stock_legacy is not None, (prefix, region)
            for endpoint in (None, "http://127.0.0.1:4566"):
                sent = _what_is_sent(slim, service, region, endpoint)
                assert sent == _what_is_sent(stock, service, region, endpoint), (service, region, endpoint)
                compared += len(sent) > 2
        model = json.loads((data / service).glob("*/service-2.json").__next__().read_bytes())
        stock_model = stock.get_component("data_loader").load_service_model(service, "service-2")
        assert model["operations"].keys() == stock_model["operations"].keys()
        assert model["shapes"].keys() == stock_model["shapes"].keys()
        assert "documentation" not in json.dumps(model["operations"])
    assert compared >= 30  # most pairs built a request (a region without the service refuses it alike)


def test_undocumented_keeps_a_member_named_documentation_and_what_botocore_requires():
    from devstack.package import undocumented

    shape = {"type": "structure", "documentation": "<p>x</p>", "members": {"documentation": {"shape": "Doc"}}}
    context = {"Accelerate": {"type": "boolean", "documentation": "required by botocore's model"}}
    model = {"clientContextParams": context, "operations": {"Op": {"documentation": "y"}}, "shapes": {"S": shape}}
    assert undocumented(model) == {
        "clientContextParams": context,
        "operations": {"Op": {}},
        "shapes": {"S": {"type": "structure", "members": {"documentation": {"shape": "Doc"}}}},
    }
