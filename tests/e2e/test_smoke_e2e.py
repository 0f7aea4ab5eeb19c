"""Issue 12: `bin/smoke BASE_URL` (what CI runs against a fresh stage) passes against the local stack;
issue 24: with the logins of a new stage's smoke fixture (`bin/smoke --stage`), and read-only (prod)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def smoke_stack():
    """A stack of its own: bin/smoke logs the demo staff in with the current TOTP step, which the
    server accepts once — on the shared stack another test's login in the same 30 s made it a 401."""
    s = start_stack({"SESSION_SECRET": STACK_SECRET})
    yield s
    s.stop()


#: The stack's session secret, which the fixture's tool run needs too: locally, TOTP secrets are
#: sealed with a key derived from it (store/sealed.py), as a deployed stage's are with its KMS key.
STACK_SECRET = secrets.token_urlsafe(32)


def test_bin_smoke_passes_with_a_new_stages_smoke_fixture(smoke_stack):
    """The fixture bin/stage up makes on a new stage (devstack/smoke_fixture.py) is all the journey
    needs: put into this stack's moto, and read back from its SSM SecureString by `bin/smoke --stage`."""
    stack = smoke_stack
    env = {**os.environ, "AWS_ENDPOINT_URL": stack.moto, "STAGE": "local", "SESSION_SECRET": STACK_SECRET}
    made = subprocess.run(
        [sys.executable, "-c", "from devstack import smoke_fixture; smoke_fixture.create('local')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    out = subprocess.run(
        ["bash", "bin/smoke", "--stage", "local", stack.base],
        cwd=ROOT,
        env={k: v for k, v in env.items() if not k.startswith("SMOKE_")},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == "smoke: passed"
    text = out.stdout
    for needle in (
        "health: stage local",
        "login smoke-contractor",
        "login smoke-staff",
        "submitted application",
        "recorded the 保証料 paid",  # issue 17: paid before it issues
        "issued ",
        "certificate PDF through its presigned URL",
        "login smoke-orderer",
        ": valid",
        "mail in the local outbox",
        # issue 14: 決裁 — asked by smoke-staff, approved by smoke-chief
        "login smoke-chief",
        "key reissue requested: 決裁",
        "key reissue approved: the old key is refused, the new one verifies",
        "cancellation requested: 決裁",
        "cancellation approved: verifies as cancelled, the contractor sees no key",
    ):
        assert needle in text, text


def test_bin_smoke_fails_loudly_when_a_step_fails(stack):
    env = {"SMOKE_CONTRACTOR": "demo-contractor:wrong-password", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        ["bash", "bin/smoke", stack.base], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 1
    assert out.stdout.splitlines()[-1].startswith("FAIL POST /api/session: 401")


def test_bin_smoke_read_only_asks_health_openapi_and_the_login_pages(stack):
    out = subprocess.run(
        ["bash", "bin/smoke", "--read-only", stack.base], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok   OpenAPI 3." in out.stdout and out.stdout.count("ok   login page /") == 4
    assert "login " not in out.stdout.replace("login page", "")  # nobody logged in, nothing written
