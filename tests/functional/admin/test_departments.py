"""An orderer's departments, its routing by kind and its users' departments (API.md "提出 and 受領":
Departments), each write audited."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from tests.admin_api import audit_rows, post
from tests.forms import csrf_of
from tests.functional.conftest import browser_login
from tests.journeys import bearer, body

BASE = "/api/admin/orderers/08201"


def _put(client, admin, path: str, payload):
    return client.http.put(
        path, headers={**bearer(admin), "Content-Type": "application/json"}, body=json.dumps(payload)
    )


def _patch(client, admin, path: str, payload):
    return client.http.request(
        "PATCH", path, headers={**bearer(admin), "Content-Type": "application/json"}, body=json.dumps(payload)
    )


def test_departments_routing_and_a_users_department(client, admin):
    made = post(client, f"{BASE}/departments", admin, {"id": "kanzai", "name": "管財課", "email": "k@mito.example.jp"})
    assert made.status_code == 201 and made.headers["Location"] == f"{BASE}/departments"
    assert post(client, f"{BASE}/departments", admin, {"id": "kanzai", "name": "別"}).status_code == 409
    assert post(client, f"{BASE}/departments", admin, {"id": "main", "name": "代表"}).status_code == 409
    bad = post(client, f"{BASE}/departments", admin, {"id": "Bad_Id", "name": "x"})
    assert bad.status_code == 400 and body(bad)["errors"][0]["field"] == "id"
    listed = body(client.http.get(f"{BASE}/departments", headers=bearer(admin)))["items"]
    assert listed == [
        {"id": "main", "name": "代表", "email": None},
        {"id": "kanzai", "name": "管財課", "email": "k@mito.example.jp"},
    ]
    assert body(client.http.get(f"{BASE}/routing", headers=bearer(admin)))["advance_payment"] == "main"
    unknown = _put(client, admin, f"{BASE}/routing", {"advance_payment": "nosuch"})
    assert unknown.status_code == 400 and body(unknown)["errors"][0]["field"] == "advance_payment"
    routed = _put(client, admin, f"{BASE}/routing", {"contract_guarantee": "kanzai"})
    assert body(routed) == {"advance_payment": "main", "contract_guarantee": "kanzai", "contract_reservation": "main"}
    assert client.http.get("/api/admin/orderers/09999/routing", headers=bearer(admin)).status_code == 404

    bound = _patch(client, admin, "/api/admin/users/mito", {"department_id": "kanzai"})
    assert bound.status_code == 200 and body(bound)["department_id"] == "kanzai"
    assert _patch(client, admin, "/api/admin/users/mito", {"department_id": "nosuch"}).status_code == 400
    staff = _patch(client, admin, "/api/admin/users/ibaraki-staff", {"department_id": "kanzai"})
    assert staff.status_code == 400 and body(staff)["errors"][0]["field"] == "department_id"
    users = body(client.http.get("/api/admin/users?org_id=08201", headers=bearer(admin)))["items"]
    assert [u["department_id"] for u in users] == ["kanzai"]
    invited = post(
        client,
        "/api/admin/users",
        admin,
        {"login": "mito-kanzai", "name": "担当", "email": "a@mito.example.jp", "role": "orderer", "org_id": "08201"}
        | {"department_id": "kanzai"},
    )
    assert invited.status_code == 201
    actions = [(r["action"], r["target"]) for r in audit_rows(client, admin)]
    assert ("user_updated", "user:mito") in actions and actions.count(("orderer_updated", "orderer:08201")) == 2


def test_the_console_page_adds_a_department_routes_to_it_and_binds_a_user(client):
    session, _ = browser_login(client, "admin", "admin", "demo-pass-7")
    cookie = {"Cookie": f"esurety_session={session}"}
    page = client.http.get("/admin/departments?orderer_id=08201", headers=cookie)
    assert page.status_code == 200 and "代表" in page.body.decode()
    csrf = csrf_of(page.body.decode())

    def post(fields: dict[str, str]):
        form = urlencode({"csrf_token": csrf, "orderer_id": "08201", **fields})
        headers = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
        return client.http.post("/admin/departments", headers=headers, body=form)

    added = post({"op": "department", "id": "doboku", "name": "道路建設課", "email": "d@mito.example.jp"})
    assert added.status_code == 303
    assert post({"op": "routing", "advance_payment": "doboku"}).status_code == 303
    assert post({"op": "user", "login": "mito", "department_id": "doboku"}).status_code == 303
    refused = post({"op": "department", "id": "doboku", "name": "二重"})
    assert refused.status_code == 409 and "すでに登録されています" in refused.body.decode()
    shown = client.http.get("/admin/departments?orderer_id=08201&done=user", headers=cookie).body.decode()
    assert "道路建設課" in shown and "mito (水戸市長: doboku)" in shown and "利用者の部署を変更しました" in shown
