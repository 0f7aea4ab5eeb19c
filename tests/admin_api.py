"""The admin API as the functional tests drive it: invite a user and read the set-up link the
invitation mailed, read the audit trail, register a machine client and get its token.

Shared by tests/functional/accounts/, admin/ and streams/ (the `admin` fixture — the demo
administrator's bearer token — is in tests/functional/conftest.py).
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlencode

from tests.journeys import bearer, body

JSON = {"Content-Type": "application/json"}
#: A password the invited users choose (long enough for the policy).
GOOD_PASSWORD = "kasama-yellow-kite-42"


def post(client, path: str, token: str | None = None, payload=None, headers: dict | None = None):
    """POST JSON to `path` (no body when `payload` is None), with a bearer token if given."""
    h = {**JSON, **(bearer(token) if token else {}), **(headers or {})}
    return client.http.post(path, headers=h, body=json.dumps(payload) if payload is not None else "")


def outbox(client) -> list[dict]:
    """Every mail sent so far (the local outbox)."""
    return body(client.http.get("/api/dev/outbox"))["items"]


def setup_token(client, address: str) -> str:
    """The set-up token of the last invitation (or reset) mailed to `address`, once the queued
    reset requests have been acted on (the events stream, tests/streams.py)."""
    from tests.streams import run_events

    run_events(client, "password_reset")
    [mail] = [m for m in outbox(client) if address in m["to"]][-1:]
    return re.search(r"/account/setup\?token=([A-Za-z0-9_-]+)", mail["body"]).group(1)


def invite(client, admin, login_id, role="orderer", org_id="08216", email=None) -> dict:
    """The administrator invites a user (answered 201): the new user as the API shows it."""
    email = email or f"{login_id}@example.jp"
    resp = post(
        client,
        "/api/admin/users",
        admin,
        {"login": login_id, "name": "担当 太郎", "email": email, "role": role, "org_id": org_id},
    )
    assert resp.status_code == 201, resp.body
    return body(resp)


def audit_rows(client, admin, **query) -> list[dict]:
    """The audit trail as `GET /api/staff/audit` answers it (with `query` as filters)."""
    q = ("?" + urlencode(query)) if query else ""
    resp = client.http.get(f"/api/staff/audit{q}", headers=bearer(admin))
    assert resp.status_code == 200, resp.body
    return body(resp)["items"]


def client_token(client, client_id, secret, status=200):
    """A machine client's token by the client-credentials grant (asserting the answer's `status`)."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    resp = client.http.post(
        "/api/oauth/token",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
        body="grant_type=client_credentials",
    )
    assert resp.status_code == status, resp.body
    return body(resp).get("access_token")


def new_client(client, admin, orderer_id="08216"):
    """The administrator registers a machine client for an orderer: (client_id, client_secret)."""
    out = body(post(client, "/api/admin/clients", admin, {"orderer_id": orderer_id, "name": "契約管理システム"}))
    return out["client_id"], out["client_secret"]


def mfa_step(client, mfa_token: str, code: str):
    """The login's second step by API (`POST /api/session/mfa`): the response."""
    return post(client, "/api/session/mfa", None, {"mfa_token": mfa_token, "code": code})
