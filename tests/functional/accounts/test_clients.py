"""Machine clients (services/clients.py).

A token scoped to the D-Sure API, revocation at once, lockouts per client, the token endpoint's
refusals, and the OpenAPI scheme.
"""

from __future__ import annotations

from tests.admin_api import client_token, new_client, post
from tests.factories import make_guarantee
from tests.functional.conftest import bearer, body, login

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


KEY = "Z28YUE4J3Bux"


def test_client_token_is_scoped_to_dsure_api_and_revocation_is_immediate(client, admin):
    cid, secret = new_client(client, admin)
    listed = body(client.http.get("/api/admin/clients?orderer_id=08216", headers=bearer(admin)))["items"]
    assert [c["client_id"] for c in listed] == [cid] and "client_secret" not in listed[0]
    token = client_token(client, cid, secret)
    assert client.http.get("/api/orderer/guarantees", headers=bearer(token)).status_code == 200
    assert client.http.get("/api/guarantees", headers=bearer(token)).status_code == 403
    assert client.http.get("/dsure/verify", headers=bearer(token)).status_code == 403
    assert client.http.delete(f"/api/admin/clients/{cid}", headers=bearer(admin)).status_code == 204
    assert client.http.get("/api/orderer/guarantees", headers=bearer(token)).status_code == 401
    client_token(client, cid, secret, status=401)


def test_client_lockout_is_per_client(client, admin):
    cid, secret = new_client(client, admin)
    other, other_secret = new_client(client, admin)
    for _ in range(4):
        client_token(client, cid, "wrong", status=401)
    client_token(client, cid, "wrong", status=429)
    client_token(client, cid, secret, status=429)
    assert client_token(client, other, other_secret)


def test_client_lockout_on_verify_counts_per_client(client, admin):
    cid, secret = new_client(client, admin)
    token = client_token(client, cid, secret)
    make_guarantee("30026-000601M", auth_key=KEY)
    codes = [
        post(client, "/api/verify", token, {"number": "30026-000601M", "auth_key": "x"}).status_code for _ in range(6)
    ]
    assert codes[-1] == 429
    kasama = login(client, "kasama", "demo-pass-4")["token"]
    assert post(client, "/api/verify", kasama, {"number": "30026-000601M", "auth_key": KEY}).status_code == 200


def test_oauth_token_endpoint_refuses_bad_requests(client):
    bad = client.http.post("/api/oauth/token", headers=FORM, body="grant_type=password")
    assert bad.status_code == 400 and body(bad)["error"] == "unsupported_grant_type"
    nobasic = client.http.post("/api/oauth/token", headers=FORM, body="grant_type=client_credentials")
    assert nobasic.status_code == 401 and "Basic" in nobasic.headers["WWW-Authenticate"]


def test_openapi_declares_the_client_credentials_scheme(client):
    doc = body(client.http.get("/api/openapi.json"))
    flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/api/oauth/token"
    assert {"oauth2": []} in doc["paths"]["/api/verify"]["post"]["security"]
    for path in (
        "/api/admin/users",
        "/api/session/mfa",
        "/api/account/password",
        "/api/account/reset",
        "/api/staff/audit",
    ):
        assert path in doc["paths"]
