"""Issue 13: accounts — admin API with audit, invitations, reset, MFA, machine clients, disable."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import urlencode

import pytest  # noqa: F401

from chalicelib.domain import totp
from chalicelib.domain.audit import AuditEntry
from chalicelib.store import accounts
from chalicelib.store import audit as audit_store
from tests import mfa, tables
from tests.factories import make_guarantee
from tests.functional.conftest import bearer, body, browser_login, login

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
KEY = "Z28YUE4J3Bux"
GOOD_PASSWORD = "kasama-yellow-kite-42"


def post(client, path, token=None, payload=None, headers=None):
    h = {**JSON, **(bearer(token) if token else {}), **(headers or {})}
    return client.http.post(path, headers=h, body=json.dumps(payload) if payload is not None else "")


@pytest.fixture
def admin(client) -> str:
    return login(client, "admin", "demo-pass-7")["token"]


def outbox(client) -> list[dict]:
    return body(client.http.get("/api/dev/outbox"))["items"]


def setup_token(client, address: str) -> str:
    [mail] = [m for m in outbox(client) if address in m["to"]][-1:]
    return re.search(r"/account/setup\?token=([A-Za-z0-9_-]+)", mail["body"]).group(1)


def invite(client, admin, login_id, role="orderer", org_id="08216", email=None) -> dict:
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
    q = ("?" + urlencode(query)) if query else ""
    resp = client.http.get(f"/api/staff/audit{q}", headers=bearer(admin))
    assert resp.status_code == 200, resp.body
    return body(resp)["items"]


# --- a new municipality through the admin API only ---------------------------------------


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


# --- the audit store ------------------------------------------------------------------------


def test_audit_record_and_change_fail_together(client, admin, monkeypatch):
    """An audit item that cannot be written cancels the change; a change that fails writes no record."""
    fixed = AuditEntry(
        actor="admin",
        action="user_created",
        target="user:x",
        scope="hq",
        at="2026-01-01T00:00:00+09:00",
        record_id="fixed",
    )
    for item in audit_store.items(fixed)[:1]:  # the `all` item already exists: the transaction must cancel
        item.save()
    monkeypatch.setattr(
        "chalicelib.services.admin.AuditEntry", lambda **kw: AuditEntry(**{**kw, "at": fixed.at, "record_id": "fixed"})
    )
    resp = post(
        client,
        "/api/admin/users",
        admin,
        {"login": "ghost-user", "name": "x", "email": "g@example.jp", "role": "orderer", "org_id": "08216"},
    )
    assert resp.status_code == 409
    assert tables.count("accounts", login="ghost-user") == 0
    assert [t for t in tables.rows("tokens") if t.login == "ghost-user"] == []  # nor its invitation
    monkeypatch.undo()
    # The other way round: the change's condition fails (login taken), so no record is written.
    before = len(audit_rows(client, admin))
    taken = post(
        client,
        "/api/admin/users",
        admin,
        {"login": "kasama", "name": "x", "email": "k@example.jp", "role": "orderer", "org_id": "08216"},
    )
    assert taken.status_code == 409
    assert len(audit_rows(client, admin)) == before


def test_audit_query_by_number_actor_and_scope(client, admin, tokens):
    from chalicelib.store import tx

    entries = [
        AuditEntry(
            actor="ibaraki-staff",
            action="issue",
            target="application:a1",
            scope="ibaraki",
            numbers=("30026-000001M", "30026-000002K"),
        ),
        AuditEntry(
            actor="ibaraki-chief",
            action="approval_approved",
            target="approval:p1",
            scope="ibaraki",
            numbers=("30026-000001M",),
        ),
        AuditEntry(
            actor="tokyo-staff", action="issue", target="application:a2", scope="tokyo", numbers=("10026-000003M",)
        ),
    ]
    for e in entries:
        tx.commit(audit_store.add(tx.Writes(), e))
    staff = tokens["staff"]
    got = body(client.http.get("/api/staff/audit?number=30026-000001m", headers=bearer(staff)))["items"]
    assert [r["actor"] for r in got] == ["ibaraki-chief", "ibaraki-staff"]  # newest first, typed number folded
    assert set(got[0]) == {"at", "actor", "action", "target", "numbers", "reason"}
    assert body(client.http.get("/api/staff/audit?number=10026-000003M", headers=bearer(staff)))["items"] == []
    assert len(audit_rows(client, admin, number="10026-000003M")) == 1  # admins see every branch
    assert [r["target"] for r in audit_rows(client, admin, actor="ibaraki-staff")] == ["application:a1"]
    page1 = body(client.http.get("/api/staff/audit?limit=1", headers=bearer(staff)))
    assert len(page1["items"]) == 1 and page1["next_cursor"]
    # No route edits or deletes a record.
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.http.request(method, "/api/staff/audit", headers=bearer(admin)).status_code in (403, 405)
    assert tables.count("audit", pk="all") == 3


def test_audit_records_hold_no_password_or_secret(client, admin):
    invite(client, admin, "secretive")
    created = body(post(client, "/api/admin/clients", admin, {"orderer_id": "08216", "name": "sys"}))
    token = setup_token(client, "secretive@example.jp")
    post(client, "/api/account/password", None, {"token": token, "password": GOOD_PASSWORD})
    dump = json.dumps([r for r in tables.rows("audit", pk="all")], default=str)
    assert created["client_secret"] not in dump and GOOD_PASSWORD not in dump and token not in dump


# --- roles ----------------------------------------------------------------------------------


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


# --- invitations, passwords, reset ----------------------------------------------------------


def test_invitation_token_is_single_use_and_tampered_or_expired_tokens_fail(client, admin):
    invite(client, admin, "one-timer")
    token = setup_token(client, "one-timer@example.jp")
    for bad_password, field in (("short", "password"), ("one-timer-is-me!", "password"), ("password1234", "password")):
        resp = post(client, "/api/account/password", None, {"token": token, "password": bad_password})
        assert resp.status_code == 400 and body(resp)["errors"][0]["field"] == field
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (
        body(post(client, "/api/account/password", None, {"token": tampered, "password": GOOD_PASSWORD}))["errors"][0][
            "field"
        ]
        == "token"
    )
    assert post(client, "/api/account/password", None, {"token": token, "password": GOOD_PASSWORD}).status_code == 204
    again = post(client, "/api/account/password", None, {"token": token, "password": GOOD_PASSWORD + "x"})
    assert again.status_code == 400 and body(again)["errors"][0]["field"] == "token"
    assert login(client, "one-timer", GOOD_PASSWORD)["role"] == "orderer"

    invite(client, admin, "too-late")
    late = setup_token(client, "too-late@example.jp")
    token_hash = __import__("hashlib").sha256(late.encode()).hexdigest()
    tables.update("tokens", {"token_hash": token_hash}, expires_at=int(time.time()) - 1)
    expired = post(client, "/api/account/password", None, {"token": late, "password": GOOD_PASSWORD})
    assert expired.status_code == 400 and body(expired)["errors"][0]["field"] == "token"


def test_reset_answers_the_same_for_unknown_logins_and_ends_other_sessions(client):
    known = post(client, "/api/account/reset", None, {"login": "demo-contractor"})
    unknown = post(client, "/api/account/reset", None, {"login": "nobody-at-all"})
    assert known.status_code == unknown.status_code == 202
    assert known.body == unknown.body
    old = login(client, "demo-contractor", "demo-pass-1")["token"]
    token = setup_token(client, "soumu@example.co.jp")
    assert post(client, "/api/account/password", None, {"token": token, "password": GOOD_PASSWORD}).status_code == 204
    assert client.http.get("/api/applications", headers=bearer(old)).status_code == 401
    assert (
        client.http.post(
            "/api/session", headers=JSON, body=json.dumps({"login": "demo-contractor", "password": "demo-pass-1"})
        ).status_code
        == 401
    )
    assert login(client, "demo-contractor", GOOD_PASSWORD)["role"] == "contractor"


def test_staff_invitation_enrols_totp_and_the_first_code_confirms_it(client, admin):
    invite(client, admin, "new-clerk", role="staff", org_id="ibaraki")
    token = setup_token(client, "new-clerk@example.jp")
    resp = post(client, "/api/account/password", None, {"token": token, "password": GOOD_PASSWORD})
    assert resp.status_code == 200
    uri = body(resp)["totp_uri"]
    assert uri.startswith("otpauth://totp/") and "new-clerk" in uri
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    first = body(post(client, "/api/session", None, {"login": "new-clerk", "password": GOOD_PASSWORD}))
    assert first["mfa_required"] is True and "token" not in first
    done = post(
        client, "/api/session/mfa", None, {"mfa_token": first["mfa_token"], "code": mfa.code_for("new-clerk", secret)}
    )
    assert done.status_code == 200 and body(done)["role"] == "staff"
    assert accounts.get("new-clerk").totp_confirmed is True


# --- MFA --------------------------------------------------------------------------------------


def _challenge(client, login_id="ibaraki-staff", password="demo-pass-3") -> str:
    out = body(post(client, "/api/session", None, {"login": login_id, "password": password}))
    assert out["mfa_required"] is True
    return out["mfa_token"]


def _mfa(client, mfa_token, code):
    return post(client, "/api/session/mfa", None, {"mfa_token": mfa_token, "code": code})


def test_a_code_is_good_once_per_user_and_earlier_steps_fail(client):
    secret = "JBSWY3DPEHPK3PXP"
    now = time.time()
    code = totp.code_at(secret, now)
    assert _mfa(client, _challenge(client), code).status_code == 200
    assert _mfa(client, _challenge(client), code).status_code == 401  # replay
    earlier = totp.code_at(secret, now - totp.INTERVAL)
    assert _mfa(client, _challenge(client), earlier).status_code == 401  # before the last accepted step
    later = totp.code_at(secret, now + totp.INTERVAL)
    assert _mfa(client, _challenge(client), later).status_code == 200


def test_five_wrong_codes_spend_the_mfa_token(client):
    t = _challenge(client)
    assert [_mfa(client, t, "000000").status_code for _ in range(5)] == [401] * 5
    right = totp.code_at("JBSWY3DPEHPK3PXP", time.time())
    spent = _mfa(client, t, right)
    assert spent.status_code == 429 and spent.headers.get("Retry-After")
    assert _mfa(client, _challenge(client), right).status_code == 200  # a new login works


def test_ten_wrong_codes_lock_the_user(client):
    statuses = []
    for _ in range(2):
        t = _challenge(client)
        statuses += [_mfa(client, t, "123456").status_code for _ in range(5)]
    assert statuses[:9] == [401] * 9 and statuses[9] == 429
    right = totp.code_at("JBSWY3DPEHPK3PXP", time.time())
    assert _mfa(client, _challenge(client), right).status_code == 429


def test_mfa_page_step_keeps_next_and_refuses_a_wrong_code(client):
    from tests.functional.conftest import mfa_page_step

    page = client.http.get("/staff/login?next=/staff/applications")
    nonce = re.search(r"esurety_login=([^;]+)", page.headers["Set-Cookie"]).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode()).group(1)
    step1 = client.http.post(
        "/staff/login",
        headers={**FORM, "Cookie": f"esurety_login={nonce}"},
        body=urlencode(
            {"csrf_token": csrf, "login": "ibaraki-staff", "password": "demo-pass-3", "next": "/staff/applications"}
        ),
    )
    assert (
        step1.status_code == 200
        and 'name="code"' in step1.body.decode()
        and "esurety_session" not in str(step1.headers)
    )
    wrong = mfa_page_step(client, "staff", step1, "ibaraki-staff", code="000000")
    assert wrong.status_code == 401 and 'name="code"' in wrong.body.decode(), wrong.body.decode()
    done = mfa_page_step(client, "staff", wrong, "ibaraki-staff")
    assert done.status_code == 303 and done.headers["Location"] == "/staff/applications"


def test_admin_console_login_takes_two_steps(client):
    session, html = browser_login(client, "admin", "admin", "demo-pass-7")
    assert "管理者コンソール" in html


# --- machine clients --------------------------------------------------------------------------


def client_token(client, client_id, secret, status=200):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    resp = client.http.post(
        "/api/oauth/token",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
        body="grant_type=client_credentials",
    )
    assert resp.status_code == status, resp.body
    return body(resp).get("access_token")


def _new_client(client, admin, orderer_id="08216"):
    out = body(post(client, "/api/admin/clients", admin, {"orderer_id": orderer_id, "name": "契約管理システム"}))
    return out["client_id"], out["client_secret"]


def test_client_token_is_scoped_to_dsure_api_and_revocation_is_immediate(client, admin):
    cid, secret = _new_client(client, admin)
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
    cid, secret = _new_client(client, admin)
    other, other_secret = _new_client(client, admin)
    for _ in range(4):
        client_token(client, cid, "wrong", status=401)
    client_token(client, cid, "wrong", status=429)
    client_token(client, cid, secret, status=429)
    assert client_token(client, other, other_secret)


def test_client_lockout_on_verify_counts_per_client(client, admin):
    cid, secret = _new_client(client, admin)
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


# --- disable means now ------------------------------------------------------------------------


def test_disabled_user_is_out_at_once_and_can_come_back(client, admin, tokens):
    assert post(client, "/api/admin/users/kasama/disable", admin).status_code == 200
    assert client.http.get("/api/orderer/guarantees", headers=bearer(tokens["kasama"])).status_code == 401
    refused = client.http.post(
        "/api/session", headers=JSON, body=json.dumps({"login": "kasama", "password": "demo-pass-4"})
    )
    assert refused.status_code == 401
    assert post(client, "/api/admin/users/kasama/enable", admin).status_code == 200
    assert login(client, "kasama", "demo-pass-4")["role"] == "orderer"
    assert [r["action"] for r in audit_rows(client, admin, actor="admin")][:2] == ["user_enabled", "user_disabled"]


def test_disabled_orderer_stops_its_users_and_clients(client, admin, tokens):
    cid, secret = _new_client(client, admin)
    token = client_token(client, cid, secret)
    assert post(client, "/api/admin/organisations/08216/disable", admin).status_code == 200
    assert client.http.get("/api/orderer/guarantees", headers=bearer(tokens["kasama"])).status_code == 401
    assert client.http.get("/api/orderer/guarantees", headers=bearer(token)).status_code == 401
    client_token(client, cid, secret, status=401)
    assert (
        client.http.post(
            "/api/session", headers=JSON, body=json.dumps({"login": "kasama", "password": "demo-pass-4"})
        ).status_code
        == 401
    )
    assert (
        tokens["mito"] and client.http.get("/api/orderer/guarantees", headers=bearer(tokens["mito"])).status_code == 200
    )
    assert post(client, "/api/admin/organisations/nope/disable", admin).status_code == 404


def test_reset_mfa_mails_a_set_up_link_and_ends_sessions(client, admin, tokens):
    staff = tokens["staff"]
    resp = post(client, "/api/admin/users/ibaraki-staff/reset-mfa", admin)
    assert resp.status_code == 200
    assert client.http.get("/api/staff/applications", headers=bearer(staff)).status_code == 401
    # Without a TOTP secret the password alone opens nothing.
    assert (
        client.http.post(
            "/api/session", headers=JSON, body=json.dumps({"login": "ibaraki-staff", "password": "demo-pass-3"})
        ).status_code
        == 401
    )
    assert post(client, "/api/admin/users/kasama/reset-mfa", admin).status_code == 400


def test_an_admin_cannot_disable_or_reset_the_second_factor_of_themself(client, admin):
    # Found by fuzzing the admin API: resetting one's own MFA ended the admin's own session.
    for action in ("disable", "reset-mfa"):
        resp = post(client, f"/api/admin/users/admin/{action}", admin)
        assert resp.status_code == 409, (action, resp.body)
        assert body(resp)["errors"][0]["field"] == "login"
    assert client.http.get("/api/admin/users", headers=bearer(admin)).status_code == 200  # still logged in
    session, _ = browser_login(client, "admin", "admin", "demo-pass-7")
    console = client.http.get("/admin/", headers={"Cookie": f"esurety_session={session}"}).body.decode()
    own_row = next(row for row in console.split("<tr>") if row.startswith("<td>admin</td>"))
    assert 'name="op" value="disable"' not in own_row and 'name="op" value="reset_mfa"' not in own_row
    assert 'value="disable"' in console  # other users keep theirs


# --- pages ------------------------------------------------------------------------------------


def _anon_form(client, path: str):
    page = client.http.get(path)
    nonce = re.search(r"esurety_login=([^;]+)", page.headers["Set-Cookie"]).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode()).group(1)
    return page, {"Cookie": f"esurety_login={nonce}", **FORM}, csrf


def test_setup_page_sets_password_and_shows_the_totp_qr_and_secret_once(client, admin):
    invite(client, admin, "page-clerk", role="staff", org_id="ibaraki")
    token = setup_token(client, "page-clerk@example.jp")
    page, headers, csrf = _anon_form(client, f"/account/setup?token={token}")
    assert page.status_code == 200 and "page-clerk" in page.body.decode()
    assert page.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in page.headers
    no_csrf = client.http.post(
        "/account/setup",
        headers=headers,
        body=urlencode({"token": token, "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}),
    )
    assert no_csrf.status_code == 403
    done = client.http.post(
        "/account/setup",
        headers=headers,
        body=urlencode(
            {"csrf_token": csrf, "token": token, "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
        ),
    )
    html = done.body.decode()
    assert done.status_code == 200 and "data:image/png;base64," in html
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', html).group(1)
    out = body(post(client, "/api/session", None, {"login": "page-clerk", "password": GOOD_PASSWORD}))
    assert _mfa(client, out["mfa_token"], totp.code_at(secret, time.time())).status_code == 200
    reused = client.http.get(f"/account/setup?token={token}")
    assert reused.status_code == 400 and "無効" in reused.body.decode()


def test_reset_page_answers_the_same_whatever_the_login(client):
    _, headers, csrf = _anon_form(client, "/account/reset")
    a = client.http.post(
        "/account/reset", headers=headers, body=urlencode({"csrf_token": csrf, "login": "demo-contractor"})
    )
    b = client.http.post(
        "/account/reset", headers=headers, body=urlencode({"csrf_token": csrf, "login": "no-such-login"})
    )
    assert a.status_code == b.status_code == 200 and a.body == b.body
    assert len([m for m in outbox(client) if "soumu@example.co.jp" in m["to"]]) == 1


def test_admin_console_invites_and_disables_with_csrf(client):
    session, _ = browser_login(client, "admin", "admin", "demo-pass-7")
    cookie = {"Cookie": f"esurety_session={session}", **FORM}
    console = client.http.get("/admin/", headers={"Cookie": f"esurety_session={session}"})
    assert console.status_code == 200 and "ibaraki-chief" in console.body.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', console.body.decode()).group(1)
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
    assert (
        client.http.get("/admin/", headers=bearer(login(client, "kasama", "demo-pass-4")["token"])).status_code == 403
    )


def test_first_admin_command_invites_prints_the_link_and_is_refused_once_an_admin_exists(client, capsys):
    from devstack import admin as admin_cli

    assert admin_cli.main(["create-first", "--stage", "local", "--login", "admin", "--email", "a@example.jp"]) == 1
    tables.delete("accounts", login="admin")  # a stage without an admin yet
    assert (
        admin_cli.main(["create-first", "--stage", "local", "--login", "first-admin", "--email", "boss@example.jp"])
        == 0
    )
    link = re.search(r"(/account/setup\?token=[A-Za-z0-9_-]+)", capsys.readouterr().out).group(1)
    assert link in [m for m in outbox(client) if "boss@example.jp" in m["to"]][0]["body"]
    resp = post(client, "/api/account/password", None, {"token": link.split("=", 1)[1], "password": GOOD_PASSWORD})
    assert resp.status_code == 200 and body(resp)["totp_uri"].startswith("otpauth://")
    assert admin_cli.main(["create-first", "--stage", "local", "--login", "second", "--email", "b@example.jp"]) == 1


# --- SES bounces --------------------------------------------------------------------------------


def _sns_event(message: dict) -> dict:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventSubscriptionArn": "arn:aws:sns:ap-northeast-1:123456789012:esurety-local-ses-feedback:1",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "m-1",
                    "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:esurety-local-ses-feedback",
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": "2026-01-01T00:00:00.000Z",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def test_a_published_bounce_suppresses_the_address_and_no_mail_goes_to_it(client):
    from chalicelib.services import bounces

    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [
                        {"emailAddress": "Soumu@example.co.jp", "diagnosticCode": "550 5.1.1 user unknown"}
                    ],
                },
            }
        ),
    )
    assert bounces.undeliverable("soumu@example.co.jp") == "bounce"
    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Bounce",
                "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "info@example.com"}]},
            }
        ),
    )
    assert bounces.undeliverable("info@example.com") is None
    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Complaint",
                "complaint": {"complainedRecipients": [{"emailAddress": "info@example.com"}]},
            }
        ),
    )
    assert bounces.undeliverable("info@example.com") == "complaint"
    assert post(client, "/api/account/reset", None, {"login": "demo-contractor"}).status_code == 202
    assert [m for m in outbox(client) if "soumu@example.co.jp" in m["to"]] == []


def test_a_bounced_address_is_flagged_on_net_desk_and_on_the_staff_application(client):
    from tests.factories import make_application

    app = make_application(owner_org="c-0001")  # its delivery.email is soumu@example.co.jp
    contractor, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    staff, _ = browser_login(client, "staff", "ibaraki-staff", "demo-pass-3")

    def pages() -> tuple[str, str]:
        mine = client.http.get("/netdesk/applications", headers={"Cookie": f"esurety_session={contractor}"})
        review = client.http.get(
            f"/staff/applications/{app.application_id}", headers={"Cookie": f"esurety_session={staff}"}
        )
        assert mine.status_code == 200 and review.status_code == 200
        return mine.body.decode(), review.body.decode()

    assert all("配信不能" not in html for html in pages())
    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Bounce",
                "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "soumu@example.co.jp"}]},
            }
        ),
    )
    mine, review = pages()
    assert "soumu@example.co.jp: 配信不能" in mine
    assert "配信不能: このアドレスにはメールが届きません" in review
