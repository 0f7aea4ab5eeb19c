"""SSM SecureStrings the deploy tools write for an operator or a later step to read, never print.

`bin/admin create-first` leaves the first admin's set-up link in
`/esurety/<stage>/first-admin-link`; `bin/admin smoke-fixture` leaves the smoke logins and TOTP
secrets in `/esurety/<stage>/smoke-fixture`, which `bin/smoke --stage` reads. The value goes from
here to SSM and nowhere else: no line of any tool's output holds it (issue 24).
"""

from __future__ import annotations

from typing import Any

#: Relative to /esurety/<stage>/ (devstack/names.py lists them, and `bin/stage down` deletes them).
FIRST_ADMIN_LINK = "first-admin-link"
SMOKE_FIXTURE = "smoke-fixture"


def parameter(stage: str, name: str) -> str:
    return f"/esurety/{stage}/{name}"


def _client(region: str | None = None) -> Any:
    import boto3

    from chalicelib import aws_config, settings

    region = region or settings.current().region
    return boto3.client("ssm", region_name=region, endpoint_url=aws_config.endpoint_override("ssm"))


def put(stage: str, name: str, value: str, description: str) -> str:
    """Write (or replace) the SecureString; returns its name, which is all a caller may print."""
    full = parameter(stage, name)
    _client().put_parameter(Name=full, Value=value, Type="SecureString", Overwrite=True, Description=description)
    return full


def get(stage: str, name: str, region: str | None = None) -> str | None:
    from botocore.exceptions import ClientError

    try:
        answer = _client(region).get_parameter(Name=parameter(stage, name), WithDecryption=True)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    return answer["Parameter"]["Value"]
