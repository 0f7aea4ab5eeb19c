"""Issue 12: `bin/smoke BASE_URL` (what CI runs against a fresh stage) passes against the local stack."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def smoke_stack():
    """A stack of its own: bin/smoke logs the demo staff in with the current TOTP step, which the
    server accepts once — on the shared stack another test's login in the same 30 s made it a 401."""
    s = start_stack()
    yield s
    s.stop()


def test_bin_smoke_passes_against_the_local_stack(smoke_stack):
    stack = smoke_stack
    out = subprocess.run(["bash", "bin/smoke", stack.base], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == "smoke: passed"
    text = out.stdout
    for needle in (
        "health: stage local",
        "login demo-contractor",
        "login ibaraki-staff",
        "submitted application",
        "recorded the 保証料 paid",  # issue 17: paid before it issues
        "issued ",
        "certificate PDF through its presigned URL",
        "login kasama",
        ": valid",
        "mail in the local outbox",
        # issue 14: 決裁 — asked by ibaraki-staff, approved by ibaraki-chief
        "login ibaraki-chief",
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
