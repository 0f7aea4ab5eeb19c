"""Issue 2: the README's local stack, over HTTP: health, demo logins, the stream pump, a clean stop."""

from __future__ import annotations

import os
import time

import boto3
import pytest
import requests

from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.e2e

DEMO = [
    ("demo-contractor", "demo-pass-1", "contractor", "c-0001"),
    ("other-contractor", "demo-pass-2", "contractor", "c-0002"),
    ("ibaraki-staff", "demo-pass-3", "staff", "ibaraki"),
    ("kasama", "demo-pass-4", "orderer", "08216"),
    ("mito", "demo-pass-5", "orderer", "08201"),
]


def test_health(stack):
    resp = requests.get(stack.url("/api/health"), timeout=5)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "stage": "local"}


@pytest.mark.parametrize(("login", "password", "role", "org"), DEMO)
def test_demo_logins(stack, login, password, role, org):
    resp = requests.post(stack.url("/api/session"), json={"login": login, "password": password}, timeout=10)
    assert resp.status_code == 200
    out = stack.complete_mfa(login, resp.json())  # staff: the TOTP second step (issue 13)
    assert (out["role"], out["org_id"]) == (role, org) and out["token"]


def test_wrong_password_gives_no_hint(stack):
    wrong = requests.post(stack.url("/api/session"), json={"login": "kasama", "password": "x"}, timeout=10)
    unknown = requests.post(stack.url("/api/session"), json={"login": "nobody-here", "password": "x"}, timeout=10)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_unknown_path_is_404_and_never_echoes_the_token(stack):
    """Issue 23: chalice local answered 403 with `Authorization=<the header>` in its body; devstack's gateway
    answers 404 in our shape (JSON under /api/, the error page elsewhere) and echoes nothing."""
    token = "Bearer X-do-not-echo-9f8e7d"
    for path in ("/api/nothing-here", "/api/verify/bulk/x", "/nothing-here"):
        resp = requests.get(stack.url(path), headers={"Authorization": token}, timeout=5)
        assert resp.status_code == 404, path
        assert "do-not-echo" not in resp.text and "do-not-echo" not in str(resp.headers), path
    api = requests.get(stack.url("/api/nothing-here"), headers={"Authorization": token}, timeout=5)
    assert api.json()["errors"][0]["code"] == "not_found"
    page = requests.get(stack.url("/nothing-here"), timeout=5)
    assert page.headers["Content-Type"].startswith("text/html") and 'href="/"' in page.text


def test_wrong_method_is_405_with_allow(stack):
    resp = requests.delete(stack.url("/api/health"), headers={"Authorization": "Bearer X"}, timeout=5)
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET"
    assert resp.json()["errors"][0]["code"] == "method_not_allowed"


def test_moto_is_bound_to_loopback_only(stack):
    assert stack.moto.startswith("http://127.0.0.1:")
    assert stack.base.startswith("http://127.0.0.1:")


def test_certificate_record_reaches_the_handler_within_2s(stack):
    ddb = boto3.client(
        "dynamodb",
        region_name="ap-northeast-1",
        endpoint_url=stack.moto,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    number = f"99999-{int(time.time() * 1000) % 1000000:06d}M"
    started = time.monotonic()
    ddb.put_item(
        TableName="esurety-local-certificates",
        Item={
            "number": {"S": number},
            "version": {"N": "1"},
            "kind": {"S": "new"},
            "content": {"S": "{}"},
            "sha256": {"S": "0" * 64},
            "issued_at": {"S": "2026-11-24T10:00:00+09:00"},
        },
    )
    line = stack.wait_for_line(f'"number": "{number}"', timeout=2.0)
    assert line is not None, "record did not reach the handler within 2 s"
    assert '"event": "certificate_record"' in line
    assert time.monotonic() - started < 2.0


def _pids_in_session(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getsid(int(entry)) == sid:
                pids.append(int(entry))
        except (ProcessLookupError, PermissionError):
            continue
    return pids


def test_sigterm_stops_everything():
    own = start_stack(extra_env={"PORT": "0"})
    sid = own.proc.pid  # start_new_session: the stack leads its own session
    moto_port = int(own.moto.rsplit(":", 1)[1])
    app_port = int(own.base.rsplit(":", 1)[1])
    assert requests.get(own.url("/api/health"), timeout=5).status_code == 200
    assert own.stop() == 0
    time.sleep(0.2)
    assert _pids_in_session(sid) == []
    for port in (moto_port, app_port):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
