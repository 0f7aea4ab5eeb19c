"""Issue 12: a deployed stage reads its sender and public URL from SSM and refuses to serve without them."""

from __future__ import annotations

import email
import email.policy
import json

import boto3
import pytest

import app as app_module
from chalicelib import settings
from chalicelib.store import parameters
from devstack.seed import seed_demo
from tests.functional.gateway import Door

STAGE = "br-feature-x-1a2b3c"


@pytest.fixture
def branch_stage(monkeypatch):
    monkeypatch.setenv("STAGE", STAGE)
    for var in ("SES_SENDER", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    parameters._VALUES.clear()
    parameters._client.cache_clear()
    yield boto3.client("ssm", region_name="ap-northeast-1")
    parameters._VALUES.clear()
    parameters._client.cache_clear()


def test_without_its_ssm_values_a_stage_answers_503_everywhere(branch_stage):
    door = Door.execute_api(app_module.app)
    health = door.get("/api/api/health")
    assert health.status == 503 and health.header("Retry-After")
    assert "公開URL" in json.loads(health.body)["errors"][0]["message"]
    page = door.get("/api/netdesk/login")
    assert page.status == 503 and "text/html" in page.header("Content-Type")
    assert "公開URL" in page.text and "/api/static/app.css" in page.text  # the error page's links work too


def test_once_the_deploy_wrote_them_the_stage_serves_and_uses_them(branch_stage):
    door = Door.execute_api(app_module.app)
    assert door.get("/api/api/health").status == 503  # a miss is not cached
    url = "https://a1b2c3d4e5.execute-api.ap-northeast-1.amazonaws.com/api"
    branch_stage.put_parameter(Name=f"/esurety/{STAGE}/public-base-url", Value=url, Type="String")
    branch_stage.put_parameter(Name=f"/esurety/{STAGE}/ses-sender", Value="br-x@mail.example.jp", Type="String")
    health = door.get("/api/api/health")
    assert health.status == 200 and json.loads(health.body)["stage"] == STAGE
    s = settings.current()
    assert s.ses_sender == "br-x@mail.example.jp"
    assert s.url("/dsure/verify?number=1") == url + "/dsure/verify?number=1"  # QR codes and mail links


def test_partial_configuration_names_what_is_missing(branch_stage):
    branch_stage.put_parameter(Name=f"/esurety/{STAGE}/ses-sender", Value="br-x@mail.example.jp", Type="String")
    with pytest.raises(settings.NotConfigured) as err:
        settings.require_configured()
    assert err.value.names == [f"/esurety/{STAGE}/public-base-url"]


def test_an_environment_value_wins_over_ssm(branch_stage, monkeypatch):
    monkeypatch.setenv("SES_SENDER", "env@mail.example.jp")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://e-surety.example.jp")
    settings.require_configured()
    assert settings.current().ses_sender == "env@mail.example.jp"


def test_demo_logins_are_never_seeded_outside_local(branch_stage):
    with pytest.raises(RuntimeError, match="local stage only"):
        seed_demo()


@pytest.fixture
def deployed_stage(branch_stage, monkeypatch):
    """A branch stage as `bin/stage up` leaves it: secret and values in SSM, its own tables."""
    from chalicelib.store import provision

    ssm = branch_stage
    url = "https://a1b2c3d4e5.execute-api.ap-northeast-1.amazonaws.com/api"
    ssm.put_parameter(Name=f"/esurety/{STAGE}/public-base-url", Value=url, Type="String")
    ssm.put_parameter(Name=f"/esurety/{STAGE}/ses-sender", Value=f"no-reply-{STAGE}@mail.example.jp", Type="String")
    ssm.put_parameter(Name=f"/esurety/{STAGE}/session-secret", Value="s" * 64, Type="SecureString")
    monkeypatch.delenv("SESSION_SECRET")
    monkeypatch.setenv("SESSION_SECRET_PARAM", f"/esurety/{STAGE}/session-secret")
    parameters.secret.cache_clear()
    provision.provision_all()  # the stage's tables, bucket and (verified) sender, as CloudFormation makes them
    parameters._VALUES.clear()  # each function's container reads the values itself at first use
    yield url
    parameters.secret.cache_clear()


def test_a_deployed_stage_signs_sessions_with_the_secret_from_ssm(deployed_stage):
    from chalicelib.domain.records import Account
    from chalicelib.services.auth import hash_password
    from chalicelib.store import accounts

    accounts.put(
        Account(
            "ops-check",
            role="contractor",
            org_id="c-0001",
            org_name="〇〇建設 株式会社",
            password_hash=hash_password("long-enough-pass-1"),
        )
    )
    door = Door.execute_api(app_module.app)
    resp = door.post(
        "/api/api/session",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"login": "ops-check", "password": "long-enough-pass-1"}),
    )
    assert resp.status == 200, resp.text
    token = json.loads(resp.body)["token"]
    listed = door.get("/api/api/guarantees", headers={"Authorization": f"Bearer {token}"})
    assert listed.status == 200
    assert settings.signing_secret() == b"s" * 64


def test_a_deployed_stage_mails_as_its_own_sender_with_its_public_url(deployed_stage):
    from chalicelib.store import guarantees
    from tests.factories import make_guarantee
    from tests.functional.gateway import LambdaContext
    from tests.streams import event, raw_messages, record

    NUMBER = "30026-000001M"

    make_guarantee(NUMBER)
    image = guarantees.version(NUMBER, 1)
    answer = app_module.app.handler_map["certificate_stream"](event(record(image, 1)), LambdaContext())
    assert answer == {"batchItemFailures": []}
    (raw,) = raw_messages()
    assert raw["source"] == f"no-reply-{STAGE}@mail.example.jp"
    message = email.message_from_string(raw["raw_data"], policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert f"{deployed_stage}/netdesk/guarantees/{NUMBER}" in text


def test_a_deployed_stage_sends_staff_notices_as_its_own_sender_with_its_public_url(deployed_stage):
    # Issue 14: the staff events' stream function reads the stage's values from SSM itself too.
    from chalicelib.store import events, tx
    from tests.functional.gateway import LambdaContext
    from tests.streams import event_record, raw_messages

    row = events.Event(
        event_id="e-stage-1",
        kind="application_rejected",
        at="2026-12-01T10:00:00+09:00",
        application_id="a-1",
        email="soumu@example.co.jp",
        reason="工期の記載誤り",
        project_name="市道改良工事",
    )
    tx.commit(events.add(tx.Writes(), row), what="event")
    answer = app_module.app.handler_map["event_stream"]({"Records": [event_record(row, 1)]}, LambdaContext())
    assert answer == {"batchItemFailures": []}
    (raw,) = raw_messages()
    assert raw["source"] == f"no-reply-{STAGE}@mail.example.jp"
    message = email.message_from_string(raw["raw_data"], policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "工期の記載誤り" in text and f"{deployed_stage}/netdesk/applications" in text


def test_a_deployed_stage_sends_hsts_on_every_answer_and_secure_on_every_cookie(deployed_stage):
    """Issue 26: no HSTS anywhere, and the nonce cookie of /account/* never got Secure."""
    door = Door.execute_api(app_module.app)
    answers = [
        door.get("/api/api/health"),
        door.get("/api/netdesk/login"),
        door.get("/api/account/reset"),
        door.get("/api/account/setup?token=nope"),  # a 400 page
        door.get("/api/api/guarantees"),  # a 401
    ]
    for answer in answers:
        assert answer.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains", answer.status
    cookies = [c for a in answers for c in a.set_cookies()]
    assert len(cookies) >= 3 and all("; Secure" in c for c in cookies), cookies


def test_a_deployed_stage_seals_totp_secrets_with_its_kms_key(deployed_stage, monkeypatch):
    """Issue 26: the template's SecretsKey (SECRETS_KMS_KEY_ID) wraps every TOTP secret's data key:
    enrolling seals with GenerateDataKey, the second step of a login opens with Decrypt."""
    import time

    from chalicelib import aws_config
    from chalicelib.domain import totp
    from chalicelib.domain.records import Account
    from chalicelib.store import accounts, sealed, tokens
    from tests import tables

    kms = boto3.client("kms", region_name="ap-northeast-1", endpoint_url=aws_config.endpoint_override("kms"))
    monkeypatch.setenv("SECRETS_KMS_KEY_ID", kms.create_key()["KeyMetadata"]["KeyId"])
    accounts.put(Account("kms-clerk", "staff", "ibaraki", "茨城支店", status="invited", email="k@example.jp"))
    link, value = tokens.new("invitation", "kms-clerk", int(time.time()), 3600)
    assert accounts.issue_link("kms-clerk", value)
    door = Door.execute_api(app_module.app)
    password = "heron-over-the-kasama-hills"
    enrolled = door.post(
        "/api/api/account/password",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"token": link, "password": password}),
    )
    assert enrolled.status == 200, enrolled.text
    stored = tables.row("accounts", login="kms-clerk").totp_secret
    secret = accounts.totp_secret(accounts.get("kms-clerk"))
    assert stored.startswith("enc1:kms:") and secret not in stored
    sealed._unwrap.cache_clear()  # a cold container opens it with KMS
    step1 = door.post(
        "/api/api/session",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"login": "kms-clerk", "password": password}),
    )
    mfa_token = json.loads(step1.body)["mfa_token"]
    step2 = door.post(
        "/api/api/session/mfa",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"mfa_token": mfa_token, "code": totp.code_at(secret, time.time())}),
    )
    assert step2.status == 200 and json.loads(step2.body)["role"] == "staff"
