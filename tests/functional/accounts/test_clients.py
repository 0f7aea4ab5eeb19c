"""Machine clients (services/clients.py).

A token scoped to the D-Sure API, revocation at once, lockouts per client, the token endpoint's
refusals, and the OpenAPI scheme.
"""

from __future__ import annotations

import base64
import json

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


def _token_via(door, client_id: str, secret: str):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return door.post(
        "/api/oauth/token",
        headers={**FORM, "Authorization": f"Basic {basic}", "Accept": "application/json"},
        body="grant_type=client_credentials",
    )


def test_an_outsider_who_knows_a_client_id_cannot_lock_the_municipality_out(client, admin):
    """Issue 26: five wrong secrets from anywhere locked the client for everyone. Counted per
    (client, source) now, with a soft client-wide lock: API-Gateway-shaped events, two sourceIps."""
    import app as app_module
    from chalicelib.services import clients
    from chalicelib.store import attempts
    from tests.functional.gateway import Door

    cid, secret = new_client(client, admin)
    city = Door.custom_domain(app_module.app, source_ip="203.0.113.50")
    attacker = Door.custom_domain(app_module.app, source_ip="198.51.100.66")
    assert _token_via(city, cid, secret).status == 200  # the city's system, as every morning
    statuses = [_token_via(attacker, cid, "wrong").status for _ in range(6)]
    assert statuses == [401] * 4 + [429, 429]
    refused = _token_via(attacker, cid, secret)
    assert refused.status == 429 and int(refused.header("Retry-After")) > 0
    assert _token_via(city, cid, secret).status == 200  # the attacker locked only their own address

    wide = clients.secret_counters(cid, "192.0.2.1")[2]
    filled = [attempts.reserve([wide]).ticket for _ in range(clients.CLIENT_POLICY.limit)]  # failures from far and wide
    assert filled[-1] is None and attempts.remaining(wide.key, clients.CLIENT_POLICY) == 0
    stranger = Door.custom_domain(app_module.app, source_ip="192.0.2.99")
    assert _token_via(stranger, cid, secret).status == 429  # an unknown source waits
    assert _token_via(city, cid, secret).status == 200  # a source that obtained a token before does not


def test_a_client_bound_to_source_ranges_gets_and_uses_tokens_only_from_inside_them(client, admin):
    """`allowed_sources` (optional on registration): API-Gateway-shaped events from three sourceIps.
    The right secret from outside the ranges is answered as a wrong one; a token obtained inside and
    carried outside is refused; an unbound client (`{"orderer_id", "name"}` alone) works anywhere."""
    import app as app_module
    from tests.functional.gateway import Door

    made = post(
        client,
        "/api/admin/clients",
        admin,
        {"orderer_id": "08216", "name": "契約管理システム", "allowed_sources": ["203.0.113.0/24", "2001:db8::/32"]},
    )
    assert made.status_code == 201 and body(made)["allowed_sources"] == ["203.0.113.0/24", "2001:db8::/32"]
    cid, secret = body(made)["client_id"], body(made)["client_secret"]
    listed = body(client.http.get(f"/api/admin/clients/{cid}", headers=bearer(admin)))
    assert listed["allowed_sources"] == ["203.0.113.0/24", "2001:db8::/32"]
    city = Door.custom_domain(app_module.app, source_ip="203.0.113.50")
    outside = Door.custom_domain(app_module.app, source_ip="198.51.100.66")
    answer = _token_via(city, cid, secret)
    assert answer.status == 200
    token = json.loads(answer.body)["access_token"]
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert city.get("/api/orderer/guarantees", headers=auth).status == 200
    assert outside.get("/api/orderer/guarantees", headers=auth).status == 401  # the token carried elsewhere
    refused = _token_via(outside, cid, secret)
    assert refused.status == 401 and b"access_token" not in refused.body
    ipv6 = Door.custom_domain(app_module.app, source_ip="2001:db8:1::5")
    assert _token_via(ipv6, cid, secret).status == 200

    unbound, unbound_secret = new_client(client, admin)
    assert "allowed_sources" not in body(client.http.get(f"/api/admin/clients/{unbound}", headers=bearer(admin)))
    assert _token_via(outside, unbound, unbound_secret).status == 200


def test_a_range_that_is_no_cidr_is_a_400_and_registers_nothing(client, admin):
    bad = post(client, "/api/admin/clients", admin, {"orderer_id": "08216", "name": "x", "allowed_sources": ["*"]})
    assert bad.status_code == 400 and body(bad)["errors"][0]["field"] == "allowed_sources[0]"
    assert body(client.http.get("/api/admin/clients", headers=bearer(admin)))["items"] == []
