"""chalicelib/settings.py: names follow the stage; the session secret comes from SSM outside local."""

from __future__ import annotations

import pytest

from chalicelib import settings


def test_table_names_follow_the_stage(monkeypatch):
    monkeypatch.setenv("STAGE", "feature-x")
    s = settings.current()
    assert s.table_name("certificates") == "esurety-feature-x-certificates"
    assert s.bucket == "esurety-feature-x-pdf"
    monkeypatch.setenv("STAGE", "prod")
    assert settings.current().table_name("accounts") == "esurety-prod-accounts"


def test_secret_comes_from_ssm_parameter_outside_local(monkeypatch):
    monkeypatch.delenv("SESSION_SECRET")
    monkeypatch.setenv("SESSION_SECRET_PARAM", "/esurety/prod/session-secret")
    calls = []

    def fake(name, region):
        calls.append(name)
        return b"from-ssm"

    monkeypatch.setattr(settings, "_read_secret", fake)
    assert settings.signing_secret() == b"from-ssm"
    assert calls == ["/esurety/prod/session-secret"]
    monkeypatch.delenv("SESSION_SECRET_PARAM")
    with pytest.raises(RuntimeError):
        settings.signing_secret()
