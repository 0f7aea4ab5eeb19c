"""Issue 12: what moto and chalice local hide — presigned URLs, client bounds, base paths."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import aws_config
from chalicelib.render import links
from chalicelib.store import mailer, objects

LAMBDA_TIMEOUT = 30  # .chalice/config.json


@pytest.fixture
def real_aws_endpoints(monkeypatch):
    """No endpoint override: the clients talk to AWS's own endpoints (nothing is called here)."""
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SES"):
        monkeypatch.delenv(var, raising=False)
    objects._client.cache_clear()
    yield
    objects._client.cache_clear()


def test_presigned_pdf_url_is_sigv4_regional_and_short_lived(real_aws_endpoints, monkeypatch):
    monkeypatch.setenv("PDF_BUCKET", "esurety-br-x-1a2b3c-pdf-123456789012")
    url = objects.presigned_url("certificates/abc.pdf", "30026-000001M-v1.pdf")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.scheme == "https"
    assert parts.netloc == "esurety-br-x-1a2b3c-pdf-123456789012.s3.ap-northeast-1.amazonaws.com"
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) <= 60
    assert "/ap-northeast-1/s3/aws4_request" in query["X-Amz-Credential"][0]
    assert "Signature" not in query and "AWSAccessKeyId" not in query  # no SigV2 leftovers


def test_an_endpoint_override_is_used_as_is_with_path_style(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    objects._client.cache_clear()
    try:
        url = objects.presigned_url("certificates/abc.pdf", "x.pdf")
    finally:
        objects._client.cache_clear()
    assert url.startswith("http://127.0.0.1:5999/esurety-local-pdf/certificates/abc.pdf?")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url


def test_every_client_is_bounded_well_inside_the_lambda_timeout():
    for service in ("s3", "ses", "ssm"):
        config = aws_config.client_config(service)
        assert config.retries == {"total_max_attempts": aws_config.BOUNDS[service][2], "mode": "standard"}
        assert config.connect_timeout <= 3 and config.read_timeout <= 5
        assert aws_config.worst_case_seconds(service) < LAMBDA_TIMEOUT
    # A mail send (the stream function) fits twice into the timeout: a slow SES cannot eat the
    # invocation, and the notify lease (120 s) outlives any invocation that holds it.
    assert aws_config.worst_case_seconds("ses") <= LAMBDA_TIMEOUT / 2
    from chalicelib.services import notify

    assert notify.LEASE_SECONDS > LAMBDA_TIMEOUT


def test_s3_through_moto_waits_longer_than_s3_itself():
    # moto queues a burst's uploads; AWS's S3 keeps the 5 s bound.
    assert aws_config.client_config("s3").read_timeout == aws_config.BOUNDS["s3"][1] == 5
    local = aws_config.client_config("s3", "http://127.0.0.1:5999")
    assert local.read_timeout == aws_config.LOCAL_READ_TIMEOUT_SECONDS == 60.0
    assert local.connect_timeout == aws_config.BOUNDS["s3"][0]


def test_the_ses_client_carries_the_bounds(monkeypatch):
    mailer._client.cache_clear()
    client = mailer._client("ap-northeast-1", None)
    mailer._client.cache_clear()
    assert client.meta.config.read_timeout == aws_config.BOUNDS["ses"][1]
    assert client.meta.config.retries["total_max_attempts"] == aws_config.BOUNDS["ses"][2]


# --- the base path of a request (recorded-shape requestContext values) ----------------------------


@pytest.mark.parametrize(
    ("context_path", "resource", "expected"),
    [
        ("/api/netdesk/guarantees/30026-000001M", "/netdesk/guarantees/{number}", "/api"),  # execute-api
        ("/api/netdesk/", "/netdesk", "/api"),  # trailing slash kept in requestContext.path
        ("/api/", "/", "/api"),
        ("/netdesk/guarantees/30026-000001M", "/netdesk/guarantees/{number}", ""),  # custom domain, (none)
        ("/esurety/dsure/verify", "/dsure/verify", "/esurety"),  # custom domain with a base path
        ("/netdesk/login", "/netdesk/login", ""),  # chalice local
        ("/api/netdesk/guarantees/30026%2D000001M", "/netdesk/guarantees/{number}", "/api"),  # encoded param
    ],
)
def test_base_path_is_what_precedes_the_route(context_path, resource, expected):
    assert links.base_path({"path": context_path}, resource) == expected


def test_url_prefixes_app_paths_only():
    token = links.bind("/api")
    try:
        assert links.url("/netdesk/guarantees?tab=x") == "/api/netdesk/guarantees?tab=x"
        assert links.url("https://bucket.s3.ap-northeast-1.amazonaws.com/k?X-Amz-Expires=60").startswith("https://")
        assert links.url("//evil.example/") == "//evil.example/"
        assert links.cookie_path() == "/api"
    finally:
        links.reset(token)
    assert links.url("/netdesk") == "/netdesk" and links.cookie_path() == "/"


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
