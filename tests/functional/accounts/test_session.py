"""Sessions (handlers/session.py, services/auth.py): login by API and by page, logout, expired or tampered tokens, throttling, roles."""

from __future__ import annotations

import html as html_mod
import json
import time
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest

from tests import tables
from tests.forms import URLENC, csrf_of, login_form, nonce_of, session_of
from tests.functional.conftest import DEMO, bearer, body, browser_login, login

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("name", list(DEMO))
def test_every_demo_login_gets_a_token(client, name):
    out = login(client, *DEMO[name])
    assert out["token"] and out["role"] in ("contractor", "staff", "orderer")
    assert out["org_id"] and out["name"]


def test_login_answer_carries_role_org_and_cookie(client):
    resp = client.http.post(
        "/api/session", headers=JSON, body=json.dumps({"login": "kasama", "password": "demo-pass-4"})
    )
    out = body(resp)
    assert (out["role"], out["org_id"], out["name"]) == ("orderer", "08216", "笠間市長")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "esurety_session=" in cookie


def test_wrong_password_and_unknown_login_look_the_same(client):
    wrong = client.http.post("/api/session", headers=JSON, body=json.dumps({"login": "kasama", "password": "nope"}))
    unknown = client.http.post("/api/session", headers=JSON, body=json.dumps({"login": "nobody", "password": "nope"}))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.body == unknown.body
    assert "パスワード" in body(wrong)["errors"][0]["message"]


def test_session_body_errors_are_field_level_japanese(client):
    resp = client.http.post("/api/session", headers=JSON, body=json.dumps({"login": "", "extra": 1}))
    assert resp.status_code == 400
    fields = {e["field"]: e["message"] for e in body(resp)["errors"]}
    assert fields["password"] == "必須項目です。"
    assert fields["extra"] == "この項目は受け付けていません。"
    assert fields["login"] == "入力してください。"


@pytest.mark.parametrize(
    ("payload", "ctype", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"login": 1, "password": 2}', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"login=a", "text/plain", 415),
        (b'{"login": "' + b"a" * 70000 + b'", "password": "x"}', "application/json", 413),
    ],
)
def test_malformed_session_requests_never_500(client, payload, ctype, status):
    resp = client.http.post("/api/session", headers={"Content-Type": ctype}, body=payload)
    assert resp.status_code == status


def test_token_refused_after_logout(client):
    token = login(client, *DEMO["contractor"])["token"]
    assert client.http.get("/netdesk", headers=bearer(token)).status_code == 200
    assert client.http.delete("/api/session", headers=bearer(token)).status_code == 204
    assert client.http.delete("/api/session", headers=bearer(token)).status_code == 401
    resp = client.http.get("/netdesk", headers=bearer(token))
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/netdesk/login")


def test_expired_token_refused(client):
    from chalicelib import settings

    token = login(client, *DEMO["contractor"])["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    # The row expired (TTL has not removed it yet): refused.
    tables.update("sessions", {"session_id": claims["sid"]}, expires_at=int(time.time()) - 5)
    assert client.http.delete("/api/session", headers=bearer(token)).status_code == 401
    # A token whose own exp has passed: refused before any read.
    stale = jwt.encode({**claims, "exp": int(time.time()) - 10}, settings.signing_secret(), algorithm="HS256")
    assert client.http.delete("/api/session", headers=bearer(stale)).status_code == 401


def test_tampered_token_refused(client):
    token = login(client, *DEMO["contractor"])["token"]
    head, payload, sig = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged_claims = jwt.encode({**claims, "role": "staff"}, "a-guessed-secret-of-at-least-32-bytes!", algorithm="HS256")
    flipped = head + "." + payload + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (forged_claims, flipped, "garbage", token + "x"):
        assert client.http.delete("/api/session", headers=bearer(bad)).status_code == 401


def test_throttle_after_repeated_failures(client):
    for _ in range(4):
        r = client.http.post("/api/session", headers=JSON, body=json.dumps({"login": "mito", "password": "bad"}))
        assert r.status_code == 401
    locked = client.http.post("/api/session", headers=JSON, body=json.dumps({"login": "mito", "password": "bad"}))
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    # Even the right password waits out the lock.
    right = client.http.post(
        "/api/session", headers=JSON, body=json.dumps({"login": "mito", "password": "demo-pass-5"})
    )
    assert right.status_code == 429
    # Other accounts are not affected.
    assert login(client, *DEMO["kasama"])["token"]


def test_login_pages_are_japanese_and_log_in(client):
    for audience, who in (("netdesk", "contractor"), ("dsure", "kasama"), ("staff", "staff")):
        page = client.http.get(f"/{audience}/login")
        assert "ログインID" in page.body.decode() and "パスワード" in page.body.decode()
        _, html = browser_login(client, audience, *DEMO[who])
        assert "ログアウト" in html


def test_login_page_refuses_post_without_its_csrf_token(client):
    resp = client.http.post(
        "/netdesk/login",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="login=demo-contractor&password=demo-pass-1&next=%2Fnetdesk%2Fguarantees",
    )
    assert resp.status_code == 403
    assert "esurety_session" not in resp.headers.get("Set-Cookie", "")
    # The page again, with a fresh nonce pair, keeping the login ID and where to go next.
    page = resp.body.decode()
    assert 'value="demo-contractor"' in page and 'value="/netdesk/guarantees"' in page and nonce_of(resp)


def test_wrong_role_is_403_on_pages(client):
    session, _ = browser_login(client, "netdesk", *DEMO["contractor"])
    resp = client.http.get("/staff", headers={"Cookie": f"esurety_session={session}"})
    assert resp.status_code == 403
    assert "権限" in resp.body.decode()


def test_login_page_of_another_audience_refuses_the_account(client):
    page = client.http.get("/staff/login")
    nonce = nonce_of(page)
    token = csrf_of(page.body.decode())
    resp = client.http.post(
        "/staff/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"esurety_login={nonce}"},
        body=f"csrf_token={token}&login=demo-contractor&password=demo-pass-1",
    )
    # Issue 15: answered exactly like a wrong password (was a 403: a password oracle).
    assert resp.status_code == 401
    assert "esurety_session=" not in resp.headers.get("Set-Cookie", "")
    wrong = client.http.post(
        "/staff/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"esurety_login={nonce}"},
        body=f"csrf_token={token}&login=demo-contractor&password=not-the-password",
    )
    assert wrong.status_code == resp.status_code and wrong.body == resp.body


def test_login_next_is_never_an_open_redirect(client):
    page = client.http.get("/netdesk/login?next=//evil.example/x")
    assert 'value="/netdesk/"' in page.body.decode()


NUMBER = "30026-000601M"


def test_the_qr_link_keeps_its_number_through_login(client):
    target = f"/dsure/verify?number={NUMBER}"
    first = client.http.get(target)
    assert first.status_code == 303
    location = first.headers["Location"]
    assert parse_qs(urlparse(location).query)["next"] == [target]
    page, resp = login_form(client, "dsure", "kasama", "demo-pass-4", target)
    assert f'name="next" value="{html_mod.escape(target)}"' in page.body.decode()
    assert resp.status_code == 303 and resp.headers["Location"] == target
    back = client.http.get(target, headers={"Cookie": f"esurety_session={session_of(resp)}"})
    assert f'value="{NUMBER}"' in back.body.decode()


def test_net_desk_deep_links_keep_their_query_too(client):
    first = client.http.get("/netdesk/guarantees?tab=electronic&kind=advance_payment")
    assert parse_qs(urlparse(first.headers["Location"]).query)["next"] == [
        "/netdesk/guarantees?tab=electronic&kind=advance_payment"
    ]


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/dsure/",
        "/dsure/\r\nX: y",
        "/netdesk/applications",
        "/dsure/../staff",
    ],
)
def test_login_never_redirects_off_site_or_to_another_portal(client, evil):
    _page, resp = login_form(client, "dsure", "kasama", "demo-pass-4", evil)
    assert resp.status_code == 303 and resp.headers["Location"] == "/dsure/"


def test_logout_says_so(client):
    session, _home = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    top = client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).body.decode()
    csrf = csrf_of(top)
    out = client.http.post(
        "/netdesk/logout",
        headers={**URLENC, "Cookie": f"esurety_session={session}"},
        body=urlencode({"csrf_token": csrf}),
    )
    assert out.status_code == 303
    assert "ログアウトしました" in client.http.get(out.headers["Location"]).body.decode()
