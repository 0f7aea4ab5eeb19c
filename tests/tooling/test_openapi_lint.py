"""Issue 23: the served OpenAPI document passes the linters an integrator runs — Spectral's `spectral:oas`
(0 errors; npm `@stoplight/spectral-cli`, installed by bin/setup) and openapi-spec-validator — and a
deployed stage's document publishes no local-only route."""

from __future__ import annotations

import json
import shutil
import subprocess
from types import SimpleNamespace

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

import app as app_module
from chalicelib import settings
from chalicelib.handlers import openapi
from tests.conftest import ROOT

SPECTRAL = ROOT / ".venv" / "npm" / "node_modules" / ".bin" / "spectral"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict:
    with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as client:
        resp = client.http.get("/api/openapi.json")
    assert resp.status_code == 200
    return json.loads(resp.body)


def test_openapi_spec_validator_passes(served):
    validate(served)


def test_spectral_oas_reports_no_errors(served, tmp_path):
    if not SPECTRAL.exists() or not shutil.which("node"):
        pytest.fail("Spectral is missing: bin/setup installs it (npm @stoplight/spectral-cli, needs node)")
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(served, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [str(SPECTRAL), "lint", "--ruleset", str(ROOT / ".spectral.yaml"), "--format", "json", "--quiet", str(doc)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    errors = [f"{'.'.join(map(str, f['path']))}: {f['code']} {f['message']}" for f in findings if f["severity"] == 0]
    assert errors == [], "\n".join(errors[:20])


def test_every_error_answer_uses_the_one_error_schema(served):
    for path, ops in served["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema["$ref"] in ("#/components/schemas/Errors", "#/components/schemas/OAuthError"), (
                        method,
                        path,
                        status,
                    )
    assert served["components"]["schemas"]["ErrorItem"]["required"] == ["field", "code", "message"]


def test_a_deployed_stage_publishes_no_local_only_route(monkeypatch):
    deployed = SimpleNamespace(is_local=False, stage="prod", public_base_url="https://e-surety.example.jp")
    monkeypatch.setattr(settings, "current", lambda: deployed)
    doc = openapi.document()
    assert doc["servers"] == [{"url": "https://e-surety.example.jp", "description": "stage prod"}]
    assert not [p for p in doc["paths"] if p.startswith("/api/dev/")]
    assert "dev" not in {t["name"] for t in doc["tags"]}
