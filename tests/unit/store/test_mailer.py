"""store/mailer.py: the SES client's bounds and a deployed stage's configuration set."""

from __future__ import annotations

from chalicelib import aws_config
from chalicelib.store import mailer


def test_the_ses_client_carries_the_bounds(monkeypatch):
    mailer._client.cache_clear()
    client = mailer._client("ap-northeast-1", None)
    mailer._client.cache_clear()
    assert client.meta.config.read_timeout == aws_config.BOUNDS["ses"][1]
    assert client.meta.config.retries["total_max_attempts"] == aws_config.BOUNDS["ses"][2]


def test_a_deployed_stage_mails_through_its_configuration_set(monkeypatch):
    """Bounces and complaints reach this stage's SES feedback function only through the set
    (devstack/cfn.py); without a set (local) the call names none."""
    from chalicelib.store import suppressions

    sent: list[dict] = []

    class FakeSes:
        def send_raw_email(self, **kwargs):
            sent.append(kwargs)
            return {"MessageId": "m-1"}

    monkeypatch.setattr(suppressions, "reason_for", lambda address: None)
    monkeypatch.setattr(mailer, "_client", lambda region, endpoint: FakeSes())
    mail = mailer.Mail(to="soumu@example.co.jp", subject="件名", text="本文", html="<p>本文</p>")
    monkeypatch.delenv("SES_CONFIGURATION_SET", raising=False)
    assert mailer.send(mail) == "m-1"
    monkeypatch.setenv("SES_CONFIGURATION_SET", "esurety-br-x-1a2b3c")
    mailer.send(mail)
    assert "ConfigurationSetName" not in sent[0]
    assert sent[1]["ConfigurationSetName"] == "esurety-br-x-1a2b3c"
    assert sent[1]["Source"] == sent[0]["Source"]
