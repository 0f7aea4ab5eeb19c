"""The private PDF bucket (S3): upload tagged `pending`, release after commit, presign.

Issuance uploads before its DynamoDB transaction; the `pending` tag is removed
once the transaction commits, and a lifecycle rule expires objects still
tagged after 7 days, so a failed issuance leaves nothing visible or lasting.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any

import boto3

from chalicelib import aws_config, settings

PENDING_TAG = "state=pending"
URL_SECONDS = 60  # API.md: short-lived download URLs live at most 60 seconds


@functools.lru_cache(maxsize=4)
def _client(region: str, endpoint: str | None) -> Any:
    """SigV4 on the regional endpoint (chalicelib/aws_config.py); the override is moto's."""
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=aws_config.s3_endpoint(region, endpoint),
        config=aws_config.client_config("s3", endpoint),
    )


def client() -> Any:
    s = settings.current()
    return _client(s.region, aws_config.endpoint_override("s3"))


def new_key(prefix: str, suffix: str = ".pdf") -> str:
    """Unguessable: knowing a 保証契約番号 does not give its object key."""
    return f"{prefix}/{secrets.token_urlsafe(24)}{suffix}"


def put_pending(key: str, data: bytes, content_type: str = "application/pdf") -> None:
    client().put_object(
        Bucket=settings.current().bucket,
        Key=key,
        Body=data,
        ContentType=content_type,
        ServerSideEncryption="AES256",
        Tagging=PENDING_TAG,
    )


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
    return client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.current().bucket,
            "Key": key,
            "ResponseContentType": "application/pdf",
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        },
        ExpiresIn=URL_SECONDS,
    )
