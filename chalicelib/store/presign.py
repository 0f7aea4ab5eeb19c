"""S3 presigned GET URLs by SigV4 query signing, without building an S3 client.

A presigned URL needs the credentials, the region and the key — not S3's
service model: building a boto3 S3 client only to presign cost ~97 ms on the
first verification of a container (issue 32). This is AWS's documented
"Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
with the choices botocore makes for `generate_presigned_url("get_object", …)`
on a SigV4 client for the regional endpoint (virtual-hosted style; path style
on an endpoint override such as moto's): the same query order, the same
encoding, `UNSIGNED-PAYLOAD`, only `host` signed.
tests/unit/store/test_presign.py holds it to botocore's URL, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


def _encode(value: str, safe: str = "-_.~") -> str:
    return quote(value, safe=safe)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _signing_key(secret: str, day: str, region: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), day)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return key


def get_url(
    creds: Credentials,
    region: str,
    bucket: str,
    key: str,
    expires: int,
    params: dict[str, str],
    *,
    endpoint: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A presigned GET of `bucket`/`key` with `params` (e.g. response-content-type) in the query.

    `endpoint`: an override (path style, e.g. moto's http://127.0.0.1:port); None → the regional
    endpoint, virtual-hosted style."""
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    stamp, day = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    if endpoint:
        parts = urlsplit(endpoint)
        scheme, host = parts.scheme, parts.netloc
        path = f"{parts.path.rstrip('/')}/{bucket}/{_encode(key, '/~')}"
    else:
        scheme, host = "https", f"{bucket}.s3.{region}.amazonaws.com"
        path = f"/{_encode(key, '/~')}"
    auth = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{creds.access_key}/{day}/{region}/s3/aws4_request",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    if creds.token is not None:
        auth["X-Amz-Security-Token"] = creds.token
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in [*params.items(), *auth.items()])
    canonical_query = "&".join(
        f"{k}={v}" for k, v in sorted((_encode(k), _encode(v)) for k, v in [*params.items(), *auth.items()])
    )
    canonical = "\n".join(["GET", path, canonical_query, f"host:{host}", "", "host", "UNSIGNED-PAYLOAD"])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(_signing_key(creds.secret_key, day, region), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{scheme}://{host}{path}?{query}&X-Amz-Signature={signature}"
