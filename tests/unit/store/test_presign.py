"""The hand-made presigned URL is botocore's, byte for byte (moto accepts any signature, so only
this comparison proves the signing)."""

from __future__ import annotations

import datetime as dt

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from chalicelib.store import presign

WHEN = dt.datetime(2026, 12, 7, 2, 30, 5, tzinfo=dt.UTC)
PARAMS = {
    "ResponseContentType": "application/pdf",
    "ResponseContentDisposition": 'attachment; filename="30026-000101M-v2.pdf"',
}
QUERY = {
    "response-content-type": "application/pdf",
    "response-content-disposition": PARAMS["ResponseContentDisposition"],
}


@pytest.mark.parametrize("token", [None, "FQoGZXIvYXdzE+/token=="])
@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:5123"])
def test_the_hand_signed_url_equals_botocores_presigned_get(monkeypatch, token, endpoint):
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: WHEN.replace(tzinfo=None))
    key = "certificates/30026-000101M/Ab_c-9~x y+z.pdf"
    s3 = boto3.client(
        "s3",
        region_name="ap-northeast-1",
        endpoint_url=endpoint or "https://s3.ap-northeast-1.amazonaws.com",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path" if endpoint else "virtual"}),
    )
    expected = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "esurety-dev-pdf-123456789012", "Key": key, **PARAMS}, ExpiresIn=60
    )
    creds = presign.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    got = presign.get_url(
        creds, "ap-northeast-1", "esurety-dev-pdf-123456789012", key, 60, QUERY, endpoint=endpoint, now=WHEN
    )
    assert got == expected
