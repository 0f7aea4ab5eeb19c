"""A whole cold verification request, and the first requests after the warm-up (what a SnapStart
restore leaves), in fresh interpreters against an in-process moto server.

- cold: a fresh interpreter imports `app` from a package copy (`.pyc`, templates and request
  validators generated as scripts/package does) and answers one API-Gateway-shaped
  `POST /api/verify` (an orderer's bearer token, the right key of an issued guarantee with its
  PDF): CPU time of the process from its start to the answer. Baseline, interleaved: a bare
  Chalice app (boto3 + PynamoDB imported, as bench/cold_start.py's) making the same four
  DynamoDB calls (session read, counting transaction, guarantee read, log transaction).
- first request after the import, against the second one (warm).
- warmed: `app.warm_up()` (the before-snapshot hook) first, then the first verify, the first
  `/netdesk/login` page and the first certificate PDF (signing excluded), each against a warm one;
  in other fresh interpreters, the first certificate rendered and signed after the warm-up against
  a warm one (the stage's local key and TSA, made beforehand as a deployed stage's are).

The moto server runs in this (parent) process, so the children's CPU time is the app's alone.
Run alone: .venv/bin/python -m bench.cold_request [--quick] [--json]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.report import Row, median, summary

ROOT = Path(__file__).resolve().parent.parent

BARE_VERIFY = '''"""The baseline: a bare Chalice app making a verification's four DynamoDB calls."""
import json, os, time
import boto3
from chalice import Chalice
from pynamodb.models import Model  # noqa: F401

app = Chalice(app_name="bare")
T = json.loads(os.environ["BARE_TABLES"])
_ddb = None


@app.route("/api/verify", methods=["POST"])
def verify():
    global _ddb
    if _ddb is None:
        _ddb = boto3.client("dynamodb")
    number = app.current_request.json_body["number"]
    _ddb.get_item(TableName=T["sessions"], Key={"session_id": {"S": os.environ["BARE_SESSION"]}})
    counter = {"TableName": T["attempts"], "Key": {"key": {"S": "bare:" + number}}}
    _ddb.transact_write_items(TransactItems=[{"Update": {**counter, "UpdateExpression": "ADD failures :one",
                                                          "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    g = _ddb.get_item(TableName=T["guarantees"], Key={"number": {"S": number}})["Item"]
    row = {"number": {"S": number}, "at": {"S": f"{time.time()}#bare"}, "result": {"S": "valid"}}
    _ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": T["access_log"], "Item": row}},
        {"Update": {**counter, "UpdateExpression": "SET failures = :zero", "ExpressionAttributeValues": {":zero": {"N": "0"}}}},
    ])
    return {"status": g["status"]["S"]}
'''

CHILD = r"""
import json, sys, time
mode, module, event_path = sys.argv[1], sys.argv[2], sys.argv[3]
events = json.load(open(event_path))
class Context:
    function_name = "APIHandler"; memory_limit_in_mb = 1769; aws_request_id = "bench"
    def get_remaining_time_in_millis(self): return 30000
mod = __import__(module)
t_import = time.process_time()
out = {"import": t_import * 1000}
if mode.startswith("warmed"):
    w0 = time.process_time(); mod.warm_up(); out["warm_up"] = (time.process_time() - w0) * 1000
if mode == "warmed-signed":  # the first signed certificate after the warm-up, then a warm one
    from bench.pdfs import _certificate, _content
    from chalicelib.services import signing
    c, sha = _content()
    for key, number in (("signed_first", "30026-000778M"), ("signed_second", "30026-000779M")):
        ref = signing.DocumentRef("certificate", number, c["version"])
        t = time.process_time(); signing.sign(_certificate({**c, "number": number}, sha), ref)
        out[key] = (time.process_time() - t) * 1000
    print(json.dumps(out)); sys.exit(0)
def timed(event):
    t = time.process_time(); r = mod.app(event, Context()); ms = (time.process_time() - t) * 1000
    assert r["statusCode"] == 200, r
    return ms
out["first"] = timed(events["verify"])
out["total"] = time.process_time() * 1000 - out.get("warm_up", 0)
out["second"] = timed(events["verify"])
if mode == "warmed":
    out["page_first"] = timed(events["page"]); out["page_second"] = timed(events["page"])
    from bench.pdfs import _certificate, _content
    c, sha = _content()
    c = {**c, "number": "30026-000777M"}
    t = time.process_time(); _certificate(c, sha); out["pdf_first"] = (time.process_time() - t) * 1000
    t = time.process_time(); _certificate(c, sha); out["pdf_second"] = (time.process_time() - t) * 1000
print(json.dumps(out))
"""


def _event(method: str, path: str, headers: dict[str, str], body: str | None) -> dict[str, Any]:
    headers = {"Host": "example.execute-api.ap-northeast-1.amazonaws.com", **headers}
    return {
        "resource": path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "body": body, "isBase64Encoded": False,
        "requestContext": {"resourcePath": path, "httpMethod": method, "path": "/api" + path, "stage": "api",
                           "requestId": "bench", "identity": {"sourceIp": "127.0.0.1"}},
    }  # fmt: skip


def _stack() -> tuple[Any, dict[str, Any], dict[str, str]]:
    """moto + the demo data + one issued guarantee with its PDF: (server, events, env for the children)."""
    from bench.calls import Api, _pay, _start_stack

    moto = _start_stack()
    sys.path.insert(0, str(ROOT))
    from chalice.test import Client

    import app as app_module
    from chalicelib import settings
    from chalicelib.domain import hs256
    from chalicelib.store import provision
    from devstack.seed import seed_demo
    from tests.factories import application_body

    provision.provision_all()
    seed_demo()
    with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as client:
        api = Api(client)
        contractor, staff = api.login("demo-contractor", "demo-pass-1"), api.login("ibaraki-staff", "demo-pass-3")
        kasama = api.login("kasama", "demo-pass-4")
        created = api.call("POST", "/api/applications", contractor, application_body())
        _pay(api, {"staff": staff}, created)
        g = api.call("POST", f"/api/staff/applications/{created['id']}/issue", staff)["guarantees"][0]
    verify = _event(
        "POST",
        "/api/verify",
        {"Content-Type": "application/json", "Authorization": f"Bearer {kasama}"},
        json.dumps({"number": g["number"], "auth_key": g["auth_key"]}),
    )
    page = _event("GET", "/netdesk/login", {"Accept": "text/html"}, None)
    from chalicelib.store import signer

    tables = {t: settings.current().table_name(t) for t in ("sessions", "attempts", "guarantees", "access_log")}
    sid = hs256.decode(kasama, settings.signing_secret())["sid"]
    env = {**os.environ, "BARE_TABLES": json.dumps(tables), "BARE_SESSION": sid, "PYTHONPATH": str(ROOT)}
    env["SIGNING_LOCAL_DIR"] = str(signer.local_dir())  # the chain the issuance above signed with
    return moto, {"verify": verify, "page": page}, env


def _child(folder: Path, env: dict[str, str], mode: str, module: str, events: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, module, str(events)], cwd=folder, env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-1500:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(pkg: Path, bare_dir: Path, env: dict[str, str], events: Path, runs: int, warmed_runs: int) -> list[Row]:
    app, bare, warmed, signed = [], [], [], []
    for _ in range(runs):
        app.append(_child(pkg, env, "cold", "app", events))
        bare.append(_child(bare_dir, env, "cold", "bare_verify", events))
    for _ in range(warmed_runs):
        warmed.append(_child(pkg, env, "warmed", "app", events))
        signed.append(_child(pkg, env, "warmed-signed", "app", events))
    ratios = sorted(a["total"] / b["total"] for a, b in zip(app, bare, strict=True))
    imports = sorted(a["import"] / b["import"] for a, b in zip(app, bare, strict=True))

    def col(rows: list[dict[str, float]], key: str) -> list[float]:
        return [r[key] for r in rows]

    first_warmed, warm = median(col(warmed, "first")), median(col(warmed, "second"))
    return [
        Row(
            "whole cold verification request (fresh interpreter → `import app` → one verify event)",
            "≤ 1.3× the bare app",
            f"{median(ratios):.2f}× (median of {runs} interleaved pairs; {ratios[0]:.2f}–{ratios[-1]:.2f}); "
            f"app {summary(col(app, 'total'))}",
            f"bare Chalice app, same 4 DynamoDB calls: {summary(col(bare, 'total'))}",
            median(ratios) <= 1.3,
            f"import alone {median(imports):.2f}× the bare app's (app {median(col(app, 'import')):.0f} ms, "
            f"bare {median(col(bare, 'import')):.0f} ms); issue text: 1.85–2.08×",
        ),
        Row(
            "first verify after `import app` (no warm-up)",
            "≤ 60 ms",
            summary(col(app, "first")),
            f"second (warm): {summary(col(app, 'second'))}; bare app's first: {summary(col(bare, 'first'))}",
            median(col(app, "first")) <= 60,
            "issue text: 321 ms (S3 client for presigning, jsonschema, PyJWT + cryptography)",
        ),
        Row(
            "first verify after the warm-up (what a SnapStart restore leaves)",
            "≤ 2× a warm one",
            f"{summary(col(warmed, 'first'))} ({first_warmed / warm:.2f}×)",
            f"warm: {summary(col(warmed, 'second'))}",
            first_warmed <= 2 * warm,
            f"the warm-up itself (before the snapshot): {summary(col(warmed, 'warm_up'))}",
        ),
        Row(
            "first `/netdesk/login` render after the warm-up",
            "≤ 5 ms",
            summary(col(warmed, "page_first")),
            f"second: {summary(col(warmed, 'page_second'))}",
            median(col(warmed, "page_first")) <= 5,
            "Lambda event → HTML",
        ),
        Row(
            "first certificate PDF after the warm-up (signing excluded)",
            "≤ 30 ms",
            summary(col(warmed, "pdf_first")),
            f"second: {summary(col(warmed, 'pdf_second'))}",
            median(col(warmed, "pdf_first")) <= 30,
            "glyph check, QR code, drawing, output; a new number (a new QR code)",
        ),
        Row(
            "first certificate rendered and signed after the warm-up",
            "≤ a warm one + 10 ms",
            summary(col(signed, "signed_first")),
            f"second (warm): {summary(col(signed, 'signed_second'))}",
            median(col(signed, "signed_first")) <= median(col(signed, "signed_second")) + 10,
            "PAdES B-LT with the stage's local key and TSA (the TSA's work included in both); "
            "the warm-up builds the signing material, signer and timestamper (services/signing.py `prepare`)",
        ),
    ]


def run(quick: bool) -> list[Row]:
    from bench.cold_start import build_bare, build_package

    moto, events, env = _stack()
    try:
        with tempfile.TemporaryDirectory(prefix="esurety-bench-") as tmp:
            pkg = build_package(Path(tmp), precompiled=True)
            shutil.copytree(ROOT / "chalicelib" / "assets" / "fonts", pkg / "chalicelib" / "assets" / "fonts")
            bare = build_bare(Path(tmp))
            (bare / "bare_verify.py").write_text(BARE_VERIFY, encoding="utf-8")
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(bare)], check=True, capture_output=True)
            path = Path(tmp) / "events.json"
            path.write_text(json.dumps(events), encoding="utf-8")
            return measure(pkg, bare, env, path, 5 if quick else 11, 3 if quick else 7)
    finally:
        moto.stop()


if __name__ == "__main__":
    rows = run("--quick" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
    else:
        from bench.report import table

        print(table(rows))
