"""The private PDF bucket (S3): upload tagged `pending`, release after commit, presign.

Issuance uploads before its DynamoDB transaction; the `pending` tag is removed
once the transaction commits, and a lifecycle rule expires objects still
tagged after 7 days, so a failed issuance leaves nothing visible or lasting.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws_config, settings
from chalicelib.store import connection, presign

PENDING_TAG = "state=pending"
URL_SECONDS = 60  # API.md: short-lived download URLs live at most 60 seconds


@functools.lru_cache(maxsize=4)
def _client(region: str, endpoint: str | None) -> Any:
    """SigV4 on the regional endpoint (chalicelib/aws_config.py); the override is moto's."""
    return connection.aws_client(
        "s3", region, aws_config.s3_endpoint(region, endpoint), aws_config.client_config("s3", endpoint)
    )


def client() -> Any:
    s = settings.current()
    return _client(s.region, aws_config.endpoint_override("s3"))


def new_key(prefix: str, suffix: str = ".pdf") -> str:
    """Unguessable: knowing a 保証契約番号 does not give its object key."""
    return f"{prefix}/{secrets.token_urlsafe(24)}{suffix}"


def put_pending(
    key: str, data: bytes, content_type: str = "application/pdf", owner: dict[str, str] | None = None
) -> None:
    """Upload tagged `pending`; `owner` (number, version, document) lets the reconciler find
    the record that should reference the object."""
    client().put_object(
        Bucket=settings.current().bucket,
        Key=key,
        Body=data,
        ContentType=content_type,
        ServerSideEncryption="AES256",
        Tagging=PENDING_TAG,
        Metadata=owner or {},
    )


def put_released(key: str, data: bytes, owner: dict[str, str] | None = None) -> None:
    """Upload an object a committed record already references (a re-rendered lost PDF)."""
    client().put_object(
        Bucket=settings.current().bucket,
        Key=key,
        Body=data,
        ContentType="application/pdf",
        ServerSideEncryption="AES256",
        Metadata=owner or {},
    )


def exists(key: str) -> bool:
    try:
        client().head_object(Bucket=settings.current().bucket, Key=key)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def pending_objects(older_than_seconds: int) -> list[tuple[str, dict[str, str]]]:
    """(key, owner metadata) of every object still tagged `pending` and older than the grace
    period (younger ones may belong to a write in flight). For the reconciler only."""
    bucket = settings.current().bucket
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than_seconds)
    found = []
    for page in client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if item["LastModified"] > cutoff:
                continue
            if tags(item["Key"]).get("state") != "pending":
                continue
            head = client().head_object(Bucket=bucket, Key=item["Key"])
            found.append((item["Key"], {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}))
    return found


def release(key: str) -> None:
    """Drop the `pending` tag: the object is now referenced by committed data."""
    client().delete_object_tagging(Bucket=settings.current().bucket, Key=key)


def discard(key: str) -> None:
    client().delete_object(Bucket=settings.current().bucket, Key=key)


def get(key: str) -> bytes:
    return client().get_object(Bucket=settings.current().bucket, Key=key)["Body"].read()


def tags(key: str) -> dict[str, str]:
    resp = client().get_object_tagging(Bucket=settings.current().bucket, Key=key)
    return {t["Key"]: t["Value"] for t in resp.get("TagSet", [])}


def presigned_url(key: str, filename: str) -> str:
    """A 60-second GET of `key` as a PDF download, signed by hand (store/presign.py: no S3 client)."""
    s = settings.current()
    creds = connection.session().get_credentials()
    if creds is None:
        raise RuntimeError("no AWS credentials to presign with")
    frozen = creds.get_frozen_credentials()
    return presign.get_url(
        presign.Credentials(frozen.access_key, frozen.secret_key, frozen.token),
        s.region,
        s.bucket,
        key,
        URL_SECONDS,
        # botocore's order (the query is part of the URL the test compares)
        {
            "response-content-type": "application/pdf",
            "response-content-disposition": f'attachment; filename="{filename}"',
        },
        endpoint=aws_config.endpoint_override("s3"),
    )
