"""E2E: the local stack started as a subprocess (python -m devstack) on free ports, over HTTP."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests

from tests import mfa
from tests.conftest import ROOT
from tests.e2e.browser import browser_page, chromium  # noqa: F401 - fixtures: one Chromium for every e2e module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    proc: subprocess.Popen
    base: str
    moto: str
    lines: list[str] = field(default_factory=list)
    _dynamodb: Any = field(default=None, repr=False)

    def url(self, path: str) -> str:
        return self.base + path

    def login(self, login: str, password: str) -> str:
        resp = requests.post(self.url("/api/session"), json={"login": login, "password": password}, timeout=10)
        assert resp.status_code == 200, resp.text
        return self.complete_mfa(login, resp.json())["token"]

    def complete_mfa(self, login: str, answer: dict) -> dict:
        """Staff and admin: the second step with a fresh TOTP code (tests/mfa.py)."""
        if not answer.get("mfa_required"):
            return answer
        for _ in range(3):  # another client of this stack (bin/smoke) may have used this step already
            resp = requests.post(
                self.url("/api/session/mfa"),
                json={"mfa_token": answer["mfa_token"], "code": mfa.code_for(login, server=self.base)},
                timeout=10,
            )
            if resp.status_code != 401:
                break
        assert resp.status_code == 200, resp.text
        return resp.json()

    def forget_accepted_code(self, login: str) -> None:
        """Put `login` back to "no TOTP code accepted", as the stack's seed has it (tests/mfa.py)."""
        self.dynamodb().update_item(
            TableName="esurety-local-accounts",
            Key={"login": {"S": login}},
            UpdateExpression="SET totp_last_step = :none",
            ExpressionAttributeValues={":none": {"N": "0"}},
        )

    def wait_for_line(self, needle: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if needle in line:
                    return line
            time.sleep(0.02)
        return None

    def dynamodb(self):
        """A boto3 DynamoDB client on this stack's moto (the test process may point elsewhere).

        One per stack: building a client loads DynamoDB's service model (~60 ms), which made the
        bursts' 400 set-up writes 25 s of one client each. botocore clients are thread-safe."""
        if self._dynamodb is None:
            self._dynamodb = boto3.client(
                "dynamodb",
                region_name="ap-northeast-1",
                endpoint_url=self.moto,
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
        return self._dynamodb

    def put_model(self, item) -> None:
        """Write a PynamoDB model instance into this stack's table (e.g. a factory-built row)."""
        self.dynamodb().put_item(TableName=type(item).Meta.table_name, Item=item.serialize())

    def put_paid_application(self, name: str, form: dict) -> str:
        """A submitted application of demo-contractor with its 保証料 paid, written straight into this
        stack (for tests whose subject is what comes after: issuing it). Returns its id."""
        from chalicelib.domain import clock
        from chalicelib.store.models import ApplicationModel

        app = ApplicationModel(
            f"{name}-{secrets.token_hex(4)}",
            owner_org="c-0001",
            owner_login="demo-contractor",
            status="submitted",
            submitted_at=clock.iso_now(),
            form=form,
        )
        self.put_model(app)
        self.put_model(paid_fee_row("application", app.application_id, form))
        return app.application_id

    @contextlib.contextmanager
    def writes_here(self) -> Iterator[None]:
        """Inside the block the store's repositories (and so tests/factories.py) write into this
        stack's moto rather than the test process's own (chalicelib/store/connection.py reads the
        endpoint whenever it is asked for a client)."""
        names = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")
        saved = {n: os.environ.get(n) for n in names}
        os.environ.update(dict.fromkeys(names, self.moto))
        try:
            yield
        finally:
            for n, value in saved.items():
                if value is None:
                    os.environ.pop(n, None)
                else:
                    os.environ[n] = value

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


class PortTaken(RuntimeError):
    """The stack could not bind the port picked for it (another process took it in between)."""


def paid_fee_row(kind: str, ident: str, form: dict):
    """A FeeModel row recorded as paid, computed from the packaged rate file without any table
    (for tests that write rows straight into another process's stack)."""
    import json as _json

    from chalicelib.domain import clock
    from chalicelib.domain import fees as fee_domain
    from chalicelib.store.fees import RATES_FILE
    from chalicelib.store.models import FeeModel

    table = fee_domain.parse_table(_json.loads(RATES_FILE.read_text(encoding="utf-8")))
    quote = (
        fee_domain.quote_application(table, form)
        if kind == "application"
        else fee_domain.quote_reservation(table, form)
    )
    amounts = {k: v for k, v in quote.as_api().items() if k != "total"}
    return FeeModel(
        fee_domain.subject(kind, ident),
        total=quote.total,
        amounts=amounts,
        lines=[line.as_dict() for line in quote.lines],
        quoted_at=clock.iso_now(),
        paid_on=clock.today().isoformat(),
        paid_amount=quote.total,
        paid_by="ibaraki-staff",
        paid_at=clock.iso_now(),
    )


def start_stack(extra_env: dict[str, str] | None = None, ready_timeout: float = 90, attempts: int = 3) -> Stack:
    """Start `python -m devstack` on a free port and wait for its READY line.

    The port is picked just before the stack binds it, so another process (another worker of
    `pytest -n`) can take it in between: a stack that could not bind is started on another port."""
    for attempt in range(attempts):
        try:
            return _start_once(extra_env, ready_timeout)
        except PortTaken:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _start_once(extra_env: dict[str, str] | None, ready_timeout: float) -> Stack:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.pop("SESSION_SECRET", None)  # a stack makes its own, unless a test gives it one (extra_env)
    env.update({"PORT": str(port), "PYTHONUNBUFFERED": "1"}, **(extra_env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))

    reading = threading.Thread(target=reader, daemon=True)
    reading.start()
    deadline = time.monotonic() + ready_timeout
    base = moto = None
    while time.monotonic() < deadline and proc.poll() is None:
        for line in list(lines):
            if line.startswith("READY "):
                base = line.split(" ", 1)[1].strip()
            m = re.search(r"moto at (http://127\.0\.0\.1:\d+)", line)
            if m:
                moto = m.group(1)
        if base and moto:
            stack = Stack(proc, base, moto, lines)
            mfa.on_exhausted(base, stack.forget_accepted_code)
            return stack
        time.sleep(0.05)
    proc.kill()
    reading.join(timeout=5)
    if any("Address already in use" in line for line in lines):
        raise PortTaken(f"port {port} was taken before the stack bound it")
    raise RuntimeError("local stack did not start:\n" + "\n".join(lines[-40:]))


#: Under `pytest -n 2 --dist loadgroup` (bin/test) these modules share one worker, so they run one
#: after the other: two keep both cores busy for minutes (100 concurrent issuances; schemathesis as
#: four roles) and three assert that a stack answers within 2 s, which must not run beside those.
#: The other tests of the session's `stack` share a second group; every other test is spread over the workers.
ONE_AT_A_TIME = (
    "test_issuance_e2e.py",
    "test_fuzz_api.py",
    "test_local_stack.py",
    "test_notify_e2e.py",
    "test_full_flow_e2e.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.path.name in ONE_AT_A_TIME:
            item.add_marker(pytest.mark.xdist_group("stacks-one-at-a-time"))
        elif "stack" in getattr(item, "fixturenames", ()):
            # The other tests of the session's stack (the browser journeys among them) share one worker:
            # one more stack and Chromium per worker cost ~7 s of CPU each, for tests that total ~3 minutes.
            item.add_marker(pytest.mark.xdist_group("session-stack"))


@pytest.fixture(scope="session")
def stack():
    s = start_stack()
    yield s
    s.stop()
