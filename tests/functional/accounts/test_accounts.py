"""Issue 13: accounts — invitations, set-up and reset (by API and page), disabling a user or an orderer."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlencode

from chalicelib.domain import totp
from chalicelib.store import accounts
from tests import mfa, tables
from tests.admin_api import (
    GOOD_PASSWORD,
    audit_rows,
    client_token,
    invite,
    mfa_step,
    new_client,
    outbox,
    post,
    setup_token,
)
from tests.forms import csrf_of, nonce_of
from tests.functional.conftest import bearer, body, browser_login, login
from tests.streams import run_events

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
KEY = "Z28YUE4J3Bux"


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
    cid, secret = new_client(client, admin)
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
    nonce = nonce_of(page)
    csrf = csrf_of(page.body.decode())
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
    weak = client.http.post(
        "/account/setup",
        headers=headers,
        body=urlencode({"csrf_token": csrf, "token": token, "password": "short", "password_confirm": "short"}),
    )
    assert weak.status_code == 400 and "ログインID <strong>page-clerk</strong>" in weak.body.decode()  # kept
    mismatch = client.http.post(
        "/account/setup",
        headers=headers,
        body=urlencode({"csrf_token": csrf, "token": token, "password": GOOD_PASSWORD, "password_confirm": "x"}),
    )
    assert mismatch.status_code == 400 and "ログインID <strong>page-clerk</strong>" in mismatch.body.decode()
    done = client.http.post(
        "/account/setup",
        headers=headers,
        body=urlencode(
            {"csrf_token": csrf, "token": token, "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
        ),
    )
    html = done.body.decode()
    assert done.status_code == 200 and "data:image/png;base64," in html
    assert 'href="/staff/login"' in html  # the clerk's own portal, and no other
    assert not any(f'href="/{other}/login"' in html for other in ("netdesk", "dsure", "admin"))
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', html).group(1)
    out = body(post(client, "/api/session", None, {"login": "page-clerk", "password": GOOD_PASSWORD}))
    assert mfa_step(client, out["mfa_token"], totp.code_at(secret, time.time())).status_code == 200
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
    run_events(client, "password_reset")
    assert len([m for m in outbox(client) if "soumu@example.co.jp" in m["to"]]) == 1
