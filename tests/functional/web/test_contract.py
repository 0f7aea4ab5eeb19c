"""Issue 23: what API.md's Conventions promise every integrator — answers that match the document
(tests/conformance.py checks every answer the suite receives; here it is shown to catch what it must),
`Location` on every 201 naming a read that exists, 404 for an unknown path without echoing the
caller's credentials, 405 with `Allow`, error items with `field` and `code`, `WWW-Authenticate` on 401."""

from __future__ import annotations

import json

import pytest

import app as app_module
from chalicelib.services import verify as verify_service
from tests import conformance
from tests.admin_api import client_token, new_client
from tests.admin_api import post as admin_post
from tests.factories import make_guarantee
from tests.functional.conftest import bearer, body
from tests.functional.gateway import Door
from tests.journeys import issued, issued_reservation, post_version, reissue, requested_then_approved, reserve, submit

KEY = "Z28YUE4J3Bux"
NUMBER = "30026-000101M"


def _verify(client, tokens):
    return client.http.post(
        "/api/verify",
        headers=bearer(tokens["kasama"], **{"Content-Type": "application/json"}),
        body=json.dumps({"number": NUMBER, "auth_key": KEY}),
    )


def test_the_check_fails_on_an_undocumented_field_or_enum_value(client, tokens, monkeypatch):
    make_guarantee(NUMBER, auth_key=KEY)
    good = _verify(client, tokens)  # checked on the way in: conforms
    assert good.status_code == 200
    sent = body(good)
    check = conformance.check
    check("POST", "/api/verify", 200, good.headers, good.body)
    with pytest.raises(conformance.Nonconforming, match="'surprise' was unexpected"):
        check("POST", "/api/verify", 200, good.headers, json.dumps({**sent, "surprise": 1}).encode())
    with pytest.raises(conformance.Nonconforming, match="is not one of"):
        check("POST", "/api/verify", 200, good.headers, json.dumps({**sent, "status": "revoked"}).encode())
    with pytest.raises(conformance.Nonconforming, match="status not declared"):
        check("POST", "/api/verify", 418, good.headers, good.body)
    with pytest.raises(conformance.Nonconforming, match="no www-authenticate"):
        check("POST", "/api/verify", 401, {"Content-Type": "application/json"}, b'{"errors": []}')
    # and through the app: a field the document does not name fails the call that receives it
    real = verify_service._view
    monkeypatch.setattr(verify_service, "_view", lambda g, v: {**real(g, v), "undocumented": True})
    with pytest.raises(conformance.Nonconforming, match="'undocumented' was unexpected"):
        _verify(client, tokens)


def _location(client, token, resp) -> str:
    assert resp.status_code == 201, resp.body
    location = resp.headers["Location"]
    read = client.http.get(location, headers=bearer(token))
    assert read.status_code == 200, (location, read.body)
    return location


def test_every_201_carries_a_location_that_reads(client, tokens, admin):
    app = submit(client, tokens)
    resp = client.http.post(
        "/api/applications",
        headers=bearer(tokens["contractor"], **{"Content-Type": "application/json"}),
        body=json.dumps({"project": {}}),
    )
    assert resp.status_code == 400 and "Location" not in resp.headers
    r = reserve(client, tokens)
    assert body(client.http.get(f"/api/reservations/{r['id']}", headers=bearer(tokens["contractor"])))["id"] == r["id"]
    [first, *_] = issued(client, tokens)
    number = first["number"]
    version = post_version(
        client, tokens, number, {"kind": "correction", "changes": {"project_name": "訂正後の工事名"}}
    )
    assert _location(client, tokens["staff"], version) == f"/api/staff/guarantees/{number}"
    approved = requested_then_approved(client, tokens, reissue(client, tokens, number))
    assert _location(client, tokens["chief"], approved) == f"/api/staff/guarantees/{number}"
    _, out = issued_reservation(client, tokens)
    assert body(client.http.get(f"/api/staff/guarantees/{out['number']}", headers=bearer(tokens["staff"])))
    made = [
        admin_post(client, "/api/admin/contractors", admin, {"id": "c-0301", "name": "新建設"}),
        admin_post(client, "/api/admin/orderers", admin, {"id": "08301", "name": "新村長", "e_surety": True}),
        admin_post(
            client,
            "/api/admin/users",
            admin,
            {"login": "new-one", "name": "担当", "email": "new-one@example.jp", "role": "orderer", "org_id": "08216"},
        ),
        admin_post(client, "/api/admin/clients", admin, {"orderer_id": "08216", "name": "契約管理システム"}),
    ]
    locations = [_location(client, admin, resp) for resp in made]
    assert locations[:3] == [
        "/api/admin/organisations/c-0301",
        "/api/admin/organisations/08301",
        "/api/admin/users/new-one",
    ]
    assert locations[3].startswith("/api/admin/clients/cl-")
    assert app["id"]  # the application's own 201 is checked by the conformance check (Location required)


def test_an_unknown_path_is_404_in_our_shape_and_never_echoes_the_token(client):
    secret = "Bearer do-not-echo-me-0123456789"
    for path in ("/api/no-such-route", "/api/verify/bulk/extra", "/netdesk/no-such-page"):
        resp = client.http.get(path, headers={"Authorization": secret})
        assert resp.status_code == 404, path
        assert b"do-not-echo-me" not in resp.body and "do-not-echo-me" not in json.dumps(dict(resp.headers))
    api = client.http.get("/api/no-such-route", headers={"Authorization": secret})
    assert body(api) == {"errors": [{"field": None, "code": "not_found", "message": "見つかりません。"}]}
    page = client.http.get("/netdesk/no-such-page")
    assert (
        page.headers["Content-Type"].startswith("text/html") and b'href="/netdesk" class="button primary"' in page.body
    )


def test_a_wrong_method_is_405_with_allow_locally_and_behind_api_gateway(client, tokens):
    resp = client.http.request("PUT", "/api/verify", headers=bearer(tokens["kasama"]), body=b"")
    assert resp.status_code == 405 and resp.headers["Allow"] == "POST"
    assert body(resp)["errors"][0]["code"] == "method_not_allowed"
    door = Door.execute_api(app_module.app)  # an API-Gateway-shaped event for a known path, another method
    answer = door.request("DELETE", f"https://{door.host}/api/api/health")
    assert answer.status == 405 and answer.header("Allow") == "GET"
    assert json.loads(answer.body)["errors"][0] == {
        "field": None,
        "code": "method_not_allowed",
        "message": "このメソッドは使用できません。",
    }


def test_401_says_how_to_authenticate(client):
    resp = client.http.get("/api/applications")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"] == "Bearer"
    assert body(resp)["errors"][0]["code"] == "unauthorized"
    token = client.http.post(
        "/api/oauth/token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="grant_type=client_credentials",
    )
    assert token.status_code == 401 and token.headers["WWW-Authenticate"].startswith("Basic")
    assert body(token)["error"] == "invalid_client" and body(token)["errors"][0]["code"] == "unauthorized"


def test_a_machine_client_verifies_in_bulk_as_json(client, tokens, admin):
    make_guarantee(NUMBER, auth_key=KEY)
    client_id, secret = new_client(client, admin)
    token = client_token(client, client_id, secret)
    resp = client.http.post(
        "/api/verify/bulk",
        headers=bearer(token, **{"Content-Type": "application/json"}),
        body=json.dumps({"items": [{"number": NUMBER, "auth_key": KEY}]}),
    )
    assert resp.status_code == 200, resp.body
    assert body(resp)["items"] == [{"line": 1, "number": NUMBER, "result": "valid"}]
