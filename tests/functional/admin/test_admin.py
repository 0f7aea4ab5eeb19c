"""The administrators' API and console (handlers/admin.py, admin_pages.py, services/admin.py).

A new municipality onboarded, admin-only routes, field-level errors, the orderer cache, CSRF on the
console, and bin/admin's first administrator.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from tests import tables
from tests.admin_api import GOOD_PASSWORD, audit_rows, client_token, invite, outbox, post, setup_token
from tests.factories import make_guarantee
from tests.forms import csrf_of
from tests.functional.conftest import bearer, body, browser_login, login

JSON = {"Content-Type": "application/json"}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


KEY = "Z28YUE4J3Bux"


def test_new_municipality_onboarded_through_the_admin_api_verifies_by_page_and_by_client(client, admin):
    assert (
        post(client, "/api/admin/orderers", admin, {"id": "08302", "name": "笠間村長", "e_surety": True}).status_code
        == 201
    )
    for login_id in ("kasamura-keiyaku", "kasamura-kouji"):
        assert invite(client, admin, login_id, org_id="08302") == {
            "login": login_id,
            "role": "orderer",
            "org_id": "08302",
            "status": "invited",
        }
    created = post(client, "/api/admin/clients", admin, {"orderer_id": "08302", "name": "契約管理システム"})
    assert created.status_code == 201
    client_id, secret = body(created)["client_id"], body(created)["client_secret"]

    for login_id in ("kasamura-keiyaku", "kasamura-kouji"):
        token = setup_token(client, f"{login_id}@example.jp")
        resp = post(client, "/api/account/password", None, {"token": token, "password": GOOD_PASSWORD})
        assert resp.status_code == 204, resp.body
    listed = body(client.http.get("/api/admin/users?org_id=08302", headers=bearer(admin)))["items"]
    assert {u["login"]: u["status"] for u in listed} == {"kasamura-keiyaku": "active", "kasamura-kouji": "active"}

    make_guarantee("30026-000501M", auth_key=KEY, orderer_id="08302", orderer_name="笠間村長")
    session, _ = browser_login(client, "dsure", "kasamura-kouji", GOOD_PASSWORD)
    page = client.http.post(
        "/dsure/verify",
        headers={**bearer(session), **FORM},
        body=urlencode({"number": "30026-000501M", "auth_key": KEY}),
    )
    assert page.status_code == 200 and "有効" in page.body.decode()

    access = client_token(client, client_id, secret)
    resp = post(client, "/api/verify", access, {"number": "30026-000501M", "auth_key": KEY})
    assert resp.status_code == 200 and body(resp)["status"] == "valid"

    actions = [r["action"] for r in audit_rows(client, admin, actor="admin")]
    assert actions == ["client_created", "user_created", "user_created", "orderer_created"]


def test_admin_routes_are_admin_only_and_admin_gets_nothing_else_of_staffs(client, admin, tokens):
    for who in ("staff", "contractor", "kasama"):
        assert client.http.get("/api/admin/users", headers=bearer(tokens[who])).status_code == 403
    assert client.http.get("/api/admin/users").status_code == 401
    assert client.http.get("/api/staff/applications", headers=bearer(admin)).status_code == 403
    assert client.http.get("/api/staff/audit", headers=bearer(admin)).status_code == 200
    assert client.http.get("/api/staff/audit", headers=bearer(tokens["contractor"])).status_code == 403


def test_admin_input_errors_are_field_level(client, admin):
    bad = post(
        client,
        "/api/admin/users",
        admin,
        {"login": "Bad Login", "name": "x", "email": "nope", "role": "orderer", "org_id": "08216"},
    )
    assert bad.status_code == 400
    assert (
        post(
            client,
            "/api/admin/users",
            admin,
            {"login": "new-one", "name": "x", "email": "a@example.jp", "role": "orderer", "org_id": "c-0001"},
        ).status_code
        == 400
    )
    assert post(client, "/api/admin/orderers", admin, {"id": "8216", "name": "x", "e_surety": True}).status_code == 400
    assert post(client, "/api/admin/orderers", admin, {"id": "08216", "name": "x", "e_surety": True}).status_code == 409
    assert post(client, "/api/admin/contractors", admin, {"id": "c-0009", "name": "新建設"}).status_code == 201
    assert post(client, "/api/admin/contractors", admin, {"id": "c-0009", "name": "新建設"}).status_code == 409
    patched = client.http.patch(
        "/api/admin/orderers/08999", headers={**bearer(admin), **JSON}, body=json.dumps({"e_surety": True})
    )
    assert patched.status_code == 200 and body(patched)["e_surety"] is True
    assert body(client.http.get("/api/orderers?e_surety=true"))["items"][-1]["id"] in ("08999", "08216", "08201")


def test_orderers_the_admin_adds_or_changes_are_listed_at_once_despite_the_cache(client, admin):
    """store/orderers.py caches the list per container; an admin's write must not wait for it."""
    listed = lambda q="": {o["id"]: o for o in body(client.http.get(f"/api/orderers{q}"))["items"]}  # noqa: E731
    assert "08302" not in listed() and "08999" not in listed("?e_surety=true")  # the list is cached now
    assert (
        post(client, "/api/admin/orderers", admin, {"id": "08302", "name": "笠間村長", "e_surety": True}).status_code
        == 201
    )
    assert listed()["08302"] == {"id": "08302", "name": "笠間村長", "e_surety": True}
    patched = client.http.patch(
        "/api/admin/orderers/08999",
        headers={**bearer(admin), **JSON},
        body=json.dumps({"e_surety": True, "name": "〇〇村"}),
    )
    assert patched.status_code == 200 and body(patched) == {"id": "08999", "name": "〇〇村", "e_surety": True}
    assert listed("?e_surety=true")["08999"]["name"] == "〇〇村"


def test_admin_console_invites_and_disables_with_csrf(client):
    session, _ = browser_login(client, "admin", "admin", "demo-pass-7")
    cookie = {"Cookie": f"esurety_session={session}", **FORM}
    console = client.http.get("/admin/", headers={"Cookie": f"esurety_session={session}"})
    assert console.status_code == 200 and "ibaraki-chief" in console.body.decode()
    csrf = csrf_of(console.body.decode())
    form = {
        "op": "invite",
        "login": "mito-kouji",
        "name": "工事 花子",
        "email": "kouji@example.jp",
        "role": "orderer",
        "org_id": "08201",
    }
    assert client.http.post("/admin/actions", headers=cookie, body=urlencode(form)).status_code == 403
    made = client.http.post("/admin/actions", headers=cookie, body=urlencode({**form, "csrf_token": csrf}))
    assert made.status_code == 200 and "mito-kouji" in made.body.decode()
    bad = client.http.post("/admin/actions", headers=cookie, body=urlencode({**form, "csrf_token": csrf, "login": "X"}))
    assert bad.status_code == 400
    invite = bad.body.decode().split('id="invite"', 1)[1].split("</form>", 1)[0]  # what was typed is kept
    assert 'value="X"' in invite and 'value="kouji@example.jp"' in invite and 'value="orderer" selected' in invite
    page = made.body.decode()
    assert "<td>保証会社の職員</td>" in page and "<td>staff</td>" not in page  # roles in Japanese
    orgs = page.split('class="organisations"', 1)[1].split("</table>", 1)[0]  # the organisations, listed
    assert "<td>08216</td>" in orgs and "<td>発注者</td>" in orgs and "<td>受注者</td>" in orgs
    assert (
        client.http.get("/admin/", headers=bearer(login(client, "kasama", "demo-pass-4")["token"])).status_code == 403
    )


def test_first_admin_command_invites_stores_the_link_never_prints_it_and_is_refused_once_an_admin_exists(
    client, capsys
):
    from devstack import admin as admin_cli
    from devstack import secure_parameters

    assert admin_cli.main(["create-first", "--stage", "local", "--login", "admin", "--email", "a@example.jp"]) == 1
    tables.delete("accounts", login="admin")  # a stage without an admin yet
    assert (
        admin_cli.main(["create-first", "--stage", "local", "--login", "first-admin", "--email", "boss@example.jp"])
        == 0
    )
    stored = secure_parameters.get("local", secure_parameters.FIRST_ADMIN_LINK)
    link = re.search(r"(/account/setup\?token=[A-Za-z0-9_-]+)", stored).group(1)
    printed = capsys.readouterr()
    assert link.split("=", 1)[1] not in printed.out + printed.err  # issue 24: a CI log holds no set-up link
    assert link in [m for m in outbox(client) if "boss@example.jp" in m["to"]][0]["body"]
    resp = post(client, "/api/account/password", None, {"token": link.split("=", 1)[1], "password": GOOD_PASSWORD})
    assert resp.status_code == 200 and body(resp)["totp_uri"].startswith("otpauth://")
    assert admin_cli.main(["create-first", "--stage", "local", "--login", "second", "--email", "b@example.jp"]) == 1


def test_an_organisation_name_the_certificate_cannot_print_is_a_400_on_name_and_nothing_is_stored(client, admin):
    """Issue 26: 𠮷, CR/LF and NUL were 201, and every application of the orderer then failed at issue."""
    from chalicelib.store import organisations

    for name in ("𠮷野市長", "笠間\r\n市長", "笠間\x00市長", "   "):
        for path, payload in (
            ("/api/admin/contractors", {"id": "c-0042", "name": name}),
            ("/api/admin/orderers", {"id": "08042", "name": name, "e_surety": True}),
        ):
            resp = post(client, path, admin, payload)
            assert resp.status_code == 400 and body(resp)["errors"][0]["field"] == "name", (name, resp.body)
        patched = client.http.patch(
            "/api/admin/orderers/08999", headers={**bearer(admin), **JSON}, body=json.dumps({"name": name})
        )
        assert patched.status_code == 400 and body(patched)["errors"][0]["field"] == "name"
    assert organisations.get("c-0042") is None and organisations.get("08042") is None
    assert organisations.get("08999").name == "〇〇村長"


def test_two_admins_disabling_each_other_at_once_leave_one_and_the_last_cannot_be_disabled(client):
    """Issue 26: both succeeded, leaving no admin (and `bin/admin create-first` refused: the disabled
    ones counted). Now one conditional write on the count of admins that are not disabled decides."""
    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.principal import Principal
    from chalicelib.domain.records import Account
    from chalicelib.services import admin as admin_service
    from chalicelib.store import accounts
    from tests.bursts import burst

    accounts.put(Account("admin-two", "admin", "hq", "hq", password_hash="x", email="two@example.jp", name="二"))
    one, two = (Principal(login, "admin", "hq", "hq", f"s-{login}") for login in ("admin", "admin-two"))
    outcomes = burst(admin_service.set_user_status, [(one, "admin-two", False), (two, "admin", False)])
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"], outcomes
    statuses = [accounts.get(login).status for login in ("admin", "admin-two")]
    assert sorted(statuses) == ["active", "disabled"]
    [survivor] = [p for p, s in zip((one, two), statuses, strict=True) if s == "active"]
    assert accounts.any_with_role("admin")
    other = "admin-two" if survivor.login == "admin" else "admin"
    assert isinstance(burst(admin_service.set_user_status, [(survivor, other, True)])[0], dict)  # enable back
    refused = burst(admin_service.set_user_status, [(Principal("x", "admin", "hq", "hq", "s"), survivor.login, False)])
    assert isinstance(refused[0], dict)  # two active again: one may go
    last = burst(admin_service.set_user_status, [(Principal("x", "admin", "hq", "hq", "s"), other, False)])
    assert isinstance(last[0], Conflict) and accounts.get(other).status == "active"
