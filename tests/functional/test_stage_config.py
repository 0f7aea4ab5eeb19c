"""Issue 12: a deployed stage reads its sender and public URL from SSM and refuses to serve without them."""

from __future__ import annotations

import json

import boto3
import pytest

import app as app_module
from chalicelib import settings
from devstack.seed import seed_demo
from tests.functional.gateway import Door

STAGE = "br-feature-x-1a2b3c"


@pytest.fixture
def branch_stage(monkeypatch):
    monkeypatch.setenv("STAGE", STAGE)
    for var in ("SES_SENDER", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    settings._PARAMETERS.clear()
    settings._ssm_client.cache_clear()
    yield boto3.client("ssm", region_name="ap-northeast-1")
    settings._PARAMETERS.clear()
    settings._ssm_client.cache_clear()


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
