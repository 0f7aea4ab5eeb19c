"""The local stage's mail outbox (handlers/dev.py): decoded mail, and nothing outside local."""

from __future__ import annotations

import boto3
from chalice.test import Client

import app as app_module
from tests.conftest import ROOT
from tests.functional.conftest import body


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
