"""Issue 2: health, orderers, sessions, roles, CSRF, headers, OpenAPI, outbox, the trigger."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import boto3
import jwt
import pytest
from chalice.test import Client

import app as app_module
from chalicelib.store.models import SessionModel
from tests.conftest import ROOT
from tests.functional.conftest import DEMO, bearer, body, browser_login, login

JSON = {"Content-Type": "application/json"}


def test_health_names_the_stage(client):
    resp = client.http.get("/api/health")
    assert resp.status_code == 200
    assert body(resp) == {"status": "ok", "stage": "local"}


def test_orderers_list_and_e_surety_filter(client):
    all_items = body(client.http.get("/api/orderers"))["items"]
    assert {o["id"] for o in all_items} == {"08216", "08201", "08999"}
    only = body(client.http.get("/api/orderers?e_surety=true"))["items"]
    assert {o["id"] for o in only} == {"08216", "08201"}
    assert {"id": "08216", "name": "笠間市長", "e_surety": True} in only


def test_orderers_bad_query_is_400_not_500(client):
    resp = client.http.get("/api/orderers?e_surety=maybe")
    assert resp.status_code == 400
    assert body(resp)["errors"][0]["field"] == "e_surety"


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
    row = SessionModel.get(claims["sid"])
    row.expires_at = datetime.fromtimestamp(time.time() - 5, UTC)
    row.save()
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
        body="login=demo-contractor&password=demo-pass-1",
    )
    assert resp.status_code == 403
    assert "esurety_session" not in resp.headers.get("Set-Cookie", "")


def test_cookie_form_post_without_csrf_is_refused(client):
    session, html = browser_login(client, "netdesk", *DEMO["contractor"])
    cookie = {"Cookie": f"esurety_session={session}", "Content-Type": "application/x-www-form-urlencoded"}
    refused = client.http.post("/netdesk/logout", headers=cookie, body="")
    assert refused.status_code == 403
    wrong = client.http.post("/netdesk/logout", headers=cookie, body="csrf_token=deadbeef")
    assert wrong.status_code == 403
    # Still logged in: the refused posts changed nothing.
    assert client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    ok = client.http.post("/netdesk/logout", headers=cookie, body=f"csrf_token={csrf}")
    assert ok.status_code == 303
    assert client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).status_code == 303


def test_cookie_api_call_needs_csrf_header_bearer_does_not(client):
    session, html = browser_login(client, "netdesk", *DEMO["contractor"])
    cookie = {"Cookie": f"esurety_session={session}"}
    assert client.http.delete("/api/session", headers=cookie).status_code == 403
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.http.delete("/api/session", headers={**cookie, "X-CSRF-Token": csrf}).status_code == 204


def test_wrong_role_is_403_on_pages(client):
    session, _ = browser_login(client, "netdesk", *DEMO["contractor"])
    resp = client.http.get("/staff", headers={"Cookie": f"esurety_session={session}"})
    assert resp.status_code == 403
    assert "権限" in resp.body.decode()


def test_login_page_of_another_audience_refuses_the_account(client):
    page = client.http.get("/staff/login")
    nonce = re.search(r"esurety_login=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode()).group(1)
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


def test_every_html_response_has_security_headers(client):
    for path in ("/netdesk/login", "/dsure/login", "/staff/login", "/dev/outbox"):
        resp = client.http.get(path)
        assert resp.headers["Content-Type"].startswith("text/html")
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"]
    error = client.http.get("/staff", headers=bearer(login(client, *DEMO["kasama"])["token"]))
    assert error.status_code == 403 and "Content-Security-Policy" in error.headers


def test_openapi_lists_exactly_the_api_routes(client):
    doc = body(client.http.get("/api/openapi.json"))
    assert doc["openapi"].startswith("3.")
    spec_ops = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    app_ops = {
        (path, method)
        for path, methods in app_module.app.routes.items()
        if path.startswith("/api/")
        for method in methods
    }
    assert spec_ops == app_ops
    login_op = doc["paths"]["/api/session"]["post"]
    assert login_op["requestBody"]["content"]["application/json"]["schema"]["required"] == ["login", "password"]


def test_dev_outbox_decodes_sent_mail(client):
    ses = boto3.client("ses", region_name="ap-northeast-1")
    assert body(client.http.get("/api/dev/outbox")) == {"items": []}
    ses.send_email(
        Source="no-reply@e-surety.example.jp",
        Destination={"ToAddresses": ["soumu@example.co.jp"]},
        Message={"Subject": {"Data": "件名テスト"}, "Body": {"Text": {"Data": "本文です"}}},
    )
    items = body(client.http.get("/api/dev/outbox"))["items"]
    assert items == [{"to": ["soumu@example.co.jp"], "subject": "件名テスト", "body": "本文です"}]
    page = client.http.get("/dev/outbox").body.decode()
    assert "件名テスト" in page and "本文です" in page


def test_dev_outbox_decodes_multipart_raw_mail(client):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = "発行完了のお知らせ"
    msg["From"] = "no-reply@e-surety.example.jp"
    msg["To"] = "soumu@example.co.jp"
    msg.set_content("テキスト本文", cte="base64")
    msg.add_alternative("<p>HTML本文</p>", subtype="html", cte="base64")
    boto3.client("ses", region_name="ap-northeast-1").send_raw_email(
        Source="no-reply@e-surety.example.jp",
        Destinations=["soumu@example.co.jp"],
        RawMessage={"Data": msg.as_bytes()},
    )
    items = body(client.http.get("/api/dev/outbox"))["items"]
    assert items[-1]["subject"] == "発行完了のお知らせ"
    assert items[-1]["body"].strip() == "テキスト本文"
    assert items[-1]["to"] == ["soumu@example.co.jp"]


def test_dev_outbox_is_404_outside_local(monkeypatch):
    # A deployed stage serves only once `bin/stage up` gave it its sender and URL (issue 12).
    monkeypatch.setenv("SES_SENDER", "no-reply-dev@e-surety.example.jp")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://dev.e-surety.example.jp")
    with Client(app_module.app, stage_name="dev", project_dir=str(ROOT)) as dev:
        resp = dev.http.get("/api/dev/outbox")
        assert resp.status_code == 404
        assert body(resp)["errors"]
        assert dev.http.get("/dev/outbox").status_code == 404


def test_stream_handler_receives_lambda_shaped_records(client, capsys):
    event = {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ap-northeast-1",
                "eventSourceARN": "arn:aws:dynamodb:ap-northeast-1:123456789012:table/esurety-local-certificates/stream/x",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1700000000,
                    "Keys": {"number": {"S": "30026-000001M"}, "version": {"N": "1"}},
                    "NewImage": {"number": {"S": "30026-000001M"}, "version": {"N": "1"}},
                    "SequenceNumber": "1",
                    "SizeBytes": 10,
                    "StreamViewType": "NEW_IMAGE",
                },
            }
        ]
    }
    client.lambda_.invoke("certificate_stream", event)
    out = capsys.readouterr().out
    assert '"number": "30026-000001M"' in out


def test_openapi_declares_the_idempotency_key_header(client):
    doc = body(client.http.get("/api/openapi.json"))
    params = doc["paths"]["/api/applications"]["post"]["parameters"]
    assert {"name": "Idempotency-Key", "in": "header", "required": False}.items() <= params[0].items()
