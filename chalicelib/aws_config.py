"""The botocore client configuration of every S3, SES and SSM client the functions create.

Each client gets explicit connect/read timeouts and botocore's `standard`
retry mode with few attempts, so one call always finishes or fails well inside
the Lambda timeout (30 s) and the notify lease (services/notify.py); botocore's
defaults (60 s timeouts, legacy retries) could outlive both. S3 signs with
SigV4 on the regional endpoint: S3 refuses SigV2 for buckets created since
2020, and a presigned URL for the global endpoint redirects (breaking the
signature) for buckets outside us-east-1.

It sits beside settings.py, in the base layer, and imports nothing of the app:
store/ uses it for S3, SES and SSM (store/parameters.py, a deployed stage's
values). DynamoDB's one shared client has its own bounds in store/connection.py.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.config import Config

#: service → (connect timeout s, read timeout s, total attempts). Worst case of a call is
#: attempts × (connect + read) plus standard-mode backoff (< 1 s per retry at these counts).
BOUNDS: dict[str, tuple[float, float, int]] = {
    "s3": (2, 5, 3),
    "ses": (2, 5, 2),
    "ssm": (2, 3, 3),
    "kms": (2, 3, 3),
}


def endpoint_override(service: str) -> str | None:
    """The endpoint a test or the local stack set (moto), as botocore itself would read it."""
    key = f"AWS_ENDPOINT_URL_{service.upper()}"
    return os.environ.get(key) or os.environ.get("AWS_ENDPOINT_URL") or None


#: An override (the local stack's and the tests' moto server) answers one request at a time: under
#: a burst its answers queue for seconds, which AWS's do not; reads from it wait this long instead of
#: becoming 503s (the same rule as store/connection.py for DynamoDB).
LOCAL_READ_TIMEOUT_SECONDS = 60.0


def client_config(service: str, endpoint: str | None = None) -> Any:
    connect, read, attempts = BOUNDS[service]
    if endpoint:
        read = LOCAL_READ_TIMEOUT_SECONDS
    extra: dict[str, Any] = {}
    if service == "s3":
        extra["signature_version"] = "s3v4"
        # Virtual-hosted style on AWS (path style is deprecated); an override (moto) needs path style.
        extra["s3"] = {"addressing_style": "path" if endpoint else "virtual"}
    return Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"total_max_attempts": attempts, "mode": "standard"},  # the first call included
        **extra,
    )


def s3_endpoint(region: str, override: str | None) -> str:
    """The override when one is set, else the regional endpoint (never the global one)."""
    return override or f"https://s3.{region}.amazonaws.com"


def worst_case_seconds(service: str) -> float:
    """An upper bound of one call's duration, for the tests and the lease arithmetic."""
    connect, read, attempts = BOUNDS[service]
    return attempts * (connect + read) + (attempts - 1) * 1.0
