"""Cold start: `import app` against a bare Chalice app importing boto3 + PynamoDB, both packaged the same
way (a copy of the code with its `.pyc` compiled, as the Lambda package ships it), in fresh interpreters,
interleaved; and the first `/netdesk/login` page after the import, handed the API Gateway event Lambda
would hand it, with and without the precompiled templates.

Run alone: .venv/bin/python -m bench.cold_start [--quick] [--json]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import Row, median, summary

ROOT = Path(__file__).resolve().parent.parent

BARE_APP = '''"""The baseline: what any Chalice app on DynamoDB through PynamoDB and S3 through boto3 imports."""
import boto3  # noqa: F401
from chalice import Chalice
from pynamodb.models import Model  # noqa: F401

app = Chalice(app_name="bare")
'''

# Prints the CPU time the interpreter spent from its start to the end of the import (exit not included).
_IMPORT = "import time, {module}; print(time.process_time() * 1000)"

_FIRST_PAGE = r"""
import json, sys, time
import app
event = {
    "resource": "/netdesk/login", "path": "/netdesk/login", "httpMethod": "GET",
    "headers": {"Host": "example.execute-api.ap-northeast-1.amazonaws.com", "Accept": "text/html"},
    "multiValueHeaders": {"Host": ["example.execute-api.ap-northeast-1.amazonaws.com"], "Accept": ["text/html"]},
    "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
    "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/netdesk/login", "httpMethod": "GET", "path": "/api/netdesk/login",
                       "stage": "api", "requestId": "bench", "identity": {"sourceIp": "127.0.0.1"}},
}
class Context:
    function_name = "APIHandler"; memory_limit_in_mb = 1769; aws_request_id = "bench"
    def get_remaining_time_in_millis(self): return 30000
if sys.argv[1] == "preimport":
    import jinja2  # noqa: F401
t0 = time.process_time()
first = app.app(event, Context())
t1 = time.process_time()
second = app.app(event, Context())
t2 = time.process_time()
assert first["statusCode"] == 200 and "<form" in first["body"], first
print(json.dumps({"first": (t1 - t0) * 1000, "second": (t2 - t1) * 1000}))
"""


def build_package(target: Path, precompiled: bool) -> Path:
    """A copy of what the Lambda zip holds (app.py, chalicelib/, templates), every module byte-compiled."""
    pkg = target / ("pkg" if precompiled else "pkg-source-templates")
    # assets are laid out afresh below (a concurrent scripts/package may have left a copy in the checkout)
    skip = shutil.ignore_patterns("__pycache__", "fonts", "templates", "templates_compiled", "schemas_compiled")
    shutil.copytree(ROOT / "chalicelib", pkg / "chalicelib", ignore=skip)
    shutil.copy2(ROOT / "app.py", pkg / "app.py")
    assets = pkg / "chalicelib" / "assets"
    shutil.copytree(ROOT / "templates", assets / "templates")
    if precompiled:
        subprocess.run(
            [sys.executable, "-m", "chalicelib.render.templates", "compile", str(assets / "templates_compiled")],
            cwd=pkg,
            check=True,
            capture_output=True,
        )
    env = {**os.environ, "STAGE": "local", "SESSION_SECRET": "bench-only", "AWS_DEFAULT_REGION": "ap-northeast-1"}
    subprocess.run(  # the request validators, as scripts/package generates them
        [sys.executable, "-m", "devstack.schema_code", str(pkg / "chalicelib" / "domain" / "schemas_compiled")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    _vendor_botocore(pkg)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(pkg)], check=True, capture_output=True)
    return pkg


def _vendor_botocore(pkg: Path) -> None:
    """botocore as the zip holds it (devstack/package.py: the other services' data pruned, the rest
    slimmed), so the app's first client parses what a Lambda container's parses."""
    import botocore

    from devstack import package as packaging

    shutil.copytree(Path(botocore.__file__).parent, pkg / "botocore", ignore=shutil.ignore_patterns("__pycache__"))
    packaging.prune(pkg)  # the package step's own pruning and slimming


def build_bare(target: Path) -> Path:
    """The baseline's folder: the bare app beside no package, so it runs on the virtualenv's botocore
    (all its data, as a bare app on Lambda runs on the runtime's), its `.pyc` compiled."""
    bare = target / "bare"
    bare.mkdir(exist_ok=True)
    (bare / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(bare)], check=True, capture_output=True)
    return bare


def _run(code: str, cwd: Path, *args: str) -> str:
    """The last line the code printed (the app logs its own JSON lines before it)."""
    env = {
        **os.environ,
        "STAGE": "local",
        "SESSION_SECRET": "bench-only-secret",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }
    env.pop("PYTHONPATH", None)
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def imports(pkg: Path, bare_dir: Path, runs: int) -> list[Row]:
    bare, app, empty = [], [], []
    for _ in range(runs):
        bare.append(float(_run(_IMPORT.format(module="bare_app"), bare_dir)))
        app.append(float(_run(_IMPORT.format(module="app"), pkg)))
        empty.append(float(_run("import time; print(time.process_time() * 1000)", pkg)))
    pairs = sorted(a / b for a, b in zip(app, bare, strict=True))
    ratio = median(pairs)
    return [
        Row(
            "cold import of `app` vs a bare Chalice app importing boto3 + PynamoDB (`.pyc` both)",
            "≤ 1.25× (issue 32; 1.15× before)",
            f"{ratio:.2f}× (median of {runs} interleaved pairs; {pairs[0]:.2f}–{pairs[-1]:.2f}); app {summary(app)}",
            f"bare app {summary(bare)}; empty interpreter {summary(empty)}",
            ratio <= 1.25,
            "CPU time of each fresh interpreter up to the end of the import",
        )
    ]


def first_page(pkg: Path, source_pkg: Path, runs: int) -> list[Row]:
    compiled, source, preimported = [], [], []
    for _ in range(runs):
        compiled.append(json.loads(_run(_FIRST_PAGE, pkg, "plain")))
        source.append(json.loads(_run(_FIRST_PAGE, source_pkg, "plain")))
        preimported.append(json.loads(_run(_FIRST_PAGE, pkg, "preimport")))
    first = [r["first"] for r in compiled]
    return [
        Row(
            "first `/netdesk/login` render after `import app` (Lambda event → HTML)",
            "≤ 5 ms",
            summary(first),
            f"templates compiled at runtime (a checkout): {summary([r['first'] for r in source])}",
            median(first) <= 5,
            f"with Jinja2 already imported: {median([r['first'] for r in preimported]):.1f} ms; "
            f"second render {median([r['second'] for r in compiled]):.1f} ms; the rest is importing Jinja2, "
            "kept off `import app` so JSON-only containers never pay it",
        )
    ]


def run(quick: bool) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="esurety-bench-") as tmp:
        pkg = build_package(Path(tmp), precompiled=True)
        source_pkg = build_package(Path(tmp), precompiled=False)
        return imports(pkg, build_bare(Path(tmp)), 9 if quick else 21) + first_page(pkg, source_pkg, 3 if quick else 9)


if __name__ == "__main__":
    rows = run("--quick" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
    else:
        from bench.report import table

        print(table(rows))
