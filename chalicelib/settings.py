"""Stage settings, read from the environment each time they are asked for.

Lambda and the local stack set the environment before the first request, and
tests change it between cases; reading at call time (never at import time)
keeps every one of those honest.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

#: Every table of DESIGN.md §2 "Data", by logical name.
TABLES = (
    "accounts",
    "sessions",
    "orderers",
    "applications",
    "guarantees",
    "certificates",
    "counters",
    "idempotency",
    "attempts",
    "notifications",
    "access_log",
    "inbox",
    # Issue 13: accounts
    "organisations",
    "tokens",
    "clients",
    "audit",
    "suppressions",
    # Issue 14: the staff console
    "approvals",
    "events",
)


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    app_name: str
    bucket: str
    ses_sender: str
    public_base_url: str
    session_ttl_seconds: int
    session_secret: str | None
    session_secret_param: str | None
    issuer_name: str
    issuer_branch: str
    issuer_address: str
    issuer_phone: str

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def table_name(self, logical: str) -> str:
        """Tables are named after the stage so stages never share data."""
        return f"{self.app_name}-{self.stage}-{logical}"

    def url(self, path: str) -> str:
        """An absolute URL for people (mail, QR codes), from the stage's base URL."""
        return self.public_base_url.rstrip("/") + path

    @property
    def issuer(self) -> dict[str, str]:
        """The 保証事業会社 block printed on every certificate (domain.certificate.build_content)."""
        return {
            "name": self.issuer_name,
            "branch": self.issuer_branch,
            "address": self.issuer_address,
            "phone": self.issuer_phone,
        }


def current() -> Settings:
    env = os.environ
    stage = env.get("STAGE", "local")
    app_name = env.get("APP_NAME", "esurety")
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-northeast-1",
        app_name=app_name,
        bucket=env.get("PDF_BUCKET") or f"{app_name}-{stage}-pdf",
        ses_sender=env.get("SES_SENDER", "no-reply@e-surety.example.jp"),
        public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        session_ttl_seconds=int(env.get("SESSION_TTL_SECONDS", "28800")),
        session_secret=env.get("SESSION_SECRET") or None,
        session_secret_param=env.get("SESSION_SECRET_PARAM") or None,
        issuer_name=env.get("ISSUER_NAME", "東日本建設業保証株式会社"),
        issuer_branch=env.get("ISSUER_BRANCH", "茨城支店"),
        issuer_address=env.get("ISSUER_ADDRESS", "東京都中央区八丁堀2丁目27番10号"),
        issuer_phone=env.get("ISSUER_PHONE", "029-221-3800"),
    )


def signing_secret() -> bytes:
    """The token-signing secret: an environment value locally, an SSM parameter elsewhere.

    Outside `local` the secret lives in SSM Parameter Store (SecureString) and
    is fetched once per container; it never appears in code or config.json.
    """
    s = current()
    if s.session_secret:
        return s.session_secret.encode()
    if not s.session_secret_param:
        raise RuntimeError("SESSION_SECRET or SESSION_SECRET_PARAM must be configured")
    return _ssm_secret(s.session_secret_param, s.region)


@functools.lru_cache(maxsize=4)
def _ssm_secret(name: str, region: str) -> bytes:
    import boto3

    ssm = boto3.client("ssm", region_name=region)
    value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    return value.encode()
