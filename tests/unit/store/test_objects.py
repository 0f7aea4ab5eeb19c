"""store/objects.py: presigned PDF URLs as AWS signs them (SigV4, regional, short-lived), and an endpoint override as is."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.store import objects


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
