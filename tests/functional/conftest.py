"""Functional tests: the Chalice app through `chalice.test.Client`, against a moto server.

One moto server (loopback) serves the whole session; every test starts from the
stage's tables, bucket, SES sender and demo data and nothing else. The stage is
built once per session and put back before each test (`moto_state`), which is
what made every test pay for a moto reset, 12 new tables and a seed.
"""

from __future__ import annotations

import json
import logging  # noqa: E402
import os
import re
import urllib.parse
import urllib.request

import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import ROOT

logging.getLogger("werkzeug").setLevel(logging.ERROR)
from devstack.moto_local import prepare_moto  # noqa: E402

prepare_moto()  # DynamoDB's isolation, a host's backend found once, the outbox's one-service dump
_MOTO = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
_MOTO.start()
_HOST, _PORT = _MOTO.get_host_and_port()
MOTO_URL = f"http://{_HOST}:{_PORT}"
os.environ["AWS_ENDPOINT_URL"] = MOTO_URL

from chalice.test import Client  # noqa: E402

import app as app_module  # noqa: E402
from devstack.gateway import RoutedGateway  # noqa: E402
from devstack.seed import DEMO_TOTP_SECRETS, seed_demo  # noqa: E402
from tests import conformance, journeys, mfa, tables  # noqa: E402
from tests.functional import moto_state  # noqa: E402
from tests.journeys import bearer, body  # noqa: E402, F401 (the functional tests' helpers, imported from here)

DEMO = {
    "contractor": ("demo-contractor", "demo-pass-1"),
    "other": ("other-contractor", "demo-pass-2"),
    "staff": ("ibaraki-staff", "demo-pass-3"),
    "kasama": ("kasama", "demo-pass-4"),
    "mito": ("mito", "demo-pass-5"),
    "chief": ("ibaraki-chief", "demo-pass-6"),  # the second pair of eyes (決裁)
}

#: Bearer tokens of the demo accounts, by short name, for sessions that are part of the stage's snapshot.
_TOKENS: dict[str, str] = {}


def _seed_and_log_in() -> None:
    """The demo data, and one login of every demo account: their session rows are in the snapshot,
    so every test starts with those sessions open (a test that logs one out affects only itself)."""
    seed_demo()
    mfa.forget()  # a fresh seed has accepted no TOTP code
    with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as c:
        _TOKENS.update({name: login(c, *creds)["token"] for name, creds in DEMO.items()})
    _forget_accepted_codes()


def _forget_accepted_code(login_id: str) -> None:
    tables.update("accounts", {"login": login_id}, totp_last_step=0)


mfa.on_exhausted(mfa.IN_PROCESS, _forget_accepted_code)


def _forget_accepted_codes() -> None:
    """The staff logins above each accepted a TOTP step (a code is good once per user). Put the
    accounts back to none accepted, as a fresh seed has them, so a test that computes the code of
    the current step itself is not refused because the snapshot was taken within the same 30 s;
    tests/mfa.py forgets its side on every restore."""
    for login_id in DEMO_TOTP_SECRETS:
        _forget_accepted_code(login_id)


@pytest.fixture(scope="session")
def _stage() -> dict[str, moto_state.Snapshot]:
    """The stage built once: tables, bucket, SES sender, demo data and logins (in a box so a rebuild can replace it)."""
    return {"snapshot": moto_state.rebuild(MOTO_URL, _seed_and_log_in)}


@pytest.fixture(autouse=True)
def aws(_stage):
    """A clean stage for every test: the one built at session start, with nothing a previous test wrote."""
    _stage["snapshot"] = moto_state.restore(_stage["snapshot"], MOTO_URL, _seed_and_log_in)
    mfa.forget()  # the restored stage has accepted no TOTP code (see _seed_and_log_in)
    yield MOTO_URL


@pytest.fixture
def client():
    """The app through chalice's test client, with the local stack's gateway (an unknown path is our 404)
    and every `/api/` answer checked against the OpenAPI document (tests/conformance.py)."""
    with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as c:
        c.http._local_gateway = RoutedGateway(app_module.app, c.http._config)
        conformance.watch(c)
        yield c


def login(client, login_id: str, password: str) -> dict:
    resp = client.http.post(
        "/api/session",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"login": login_id, "password": password}),
    )
    assert resp.status_code == 200, resp.body
    out = json.loads(resp.body)
    if out.get("mfa_required"):  # staff and admin: the second step (tests/mfa.py)
        resp = client.http.post(
            "/api/session/mfa",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"mfa_token": out["mfa_token"], "code": mfa.code_for(login_id)}),
        )
        assert resp.status_code == 200, resp.body
        out = json.loads(resp.body)
    return out


@pytest.fixture
def tokens(client) -> dict[str, str]:
    """Bearer tokens for every demo account, by short name: logged in when the stage was built
    (five logins a test were ~0.15 s of its set-up), their sessions restored with it."""
    return dict(_TOKENS)


def browser_login(client, audience: str, login_id: str, password: str) -> tuple[str, str]:
    """Log in through the page as a browser would; returns (session cookie, page html)."""
    page = client.http.get(f"/{audience}/login")
    assert page.status_code == 200
    nonce = re.search(r"esurety_login=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode()).group(1)
    form = f"csrf_token={token}&login={login_id}&password={password}&next=/{audience}"
    resp = client.http.post(
        f"/{audience}/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"esurety_login={nonce}"},
        body=form,
    )
    if mfa.needs_code(login_id):  # the page's second step asks for the TOTP code
        resp = mfa_page_step(client, audience, resp, login_id)
    assert resp.status_code == 303, resp.body
    cookies = resp.headers["Set-Cookie"]
    cookies = "\n".join(cookies) if isinstance(cookies, list) else cookies
    session = re.search(r"esurety_session=([^;]+)", cookies).group(1)
    home = client.http.get(f"/{audience}", headers={"Cookie": f"esurety_session={session}"})
    assert home.status_code == 200
    return session, home.body.decode()


def mfa_page_step(client, audience: str, resp, login_id: str, code: str | None = None):
    """Answer the login page's second step (the TOTP code form) as a browser would."""
    assert resp.status_code in (200, 401), resp.body  # the code form (again, after a wrong code)
    html = resp.body.decode()
    nonce = re.search(r"esurety_login=([^;]+)", _cookie_header(resp)).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    form = urllib.parse.urlencode({**fields, "code": code or mfa.code_for(login_id)})
    return client.http.post(
        f"/{audience}/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"esurety_login={nonce}"},
        body=form,
    )


def _cookie_header(resp) -> str:
    value = resp.headers.get("Set-Cookie", "")
    return "\n".join(value) if isinstance(value, list) else value


@pytest.fixture
def admin(client) -> str:
    """The demo administrator's bearer token (a session of its own: the snapshot's are the others')."""
    return login(client, "admin", "demo-pass-7")["token"]


@pytest.fixture
def issued(client, tokens) -> list[dict]:
    """The guarantees of a submitted, paid application (written by tests/factories.py) issued
    by the branch's clerk through the API (tests/journeys.py)."""
    return journeys.issued(client, tokens)
