"""Stage settings, read from the environment each time they are asked for.

Lambda and the local stack set the environment before the first request, and
tests change it between cases; reading at call time (never at import time)
keeps every one of those honest.

A deployed stage's sender, public URL and signing secret live in SSM Parameter
Store. This base module imports nothing above it and calls no AWS service: the
store reads SSM (store/parameters.py) and installs its readers here with
`read_parameters_with` when the store package loads, which every process that
serves a request (the app, its stream functions, bin/admin) has done before it
asks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

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
    # Issue 16: a form kept across a re-login
    "drafts",
    # Issue 17: reservations and fees
    "fee_rates",
    "fees",
    "reservations",
    # Issue 30: webhooks and reminders
    "webhooks",
    "webhook_messages",
    # Issue 29: 提出 and 受領
    "departments",
    "deliveries",
)


#: What a deployed stage reads from SSM Parameter Store at first use: `bin/stage up` writes
#: them once the stack (and so its URL) exists. Locally they have defaults; an environment
#: variable of the same name overrides both.
STAGE_PARAMETERS = {"SES_SENDER": "ses-sender", "PUBLIC_BASE_URL": "public-base-url"}
LOCAL_DEFAULTS = {"SES_SENDER": "no-reply@e-surety.example.jp", "PUBLIC_BASE_URL": "http://127.0.0.1:8000"}


class NotConfigured(RuntimeError):
    """A deployed stage lacks a value it must never guess (its sender, its public URL)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("stage not configured: " + ", ".join(names))
        self.names = names


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    app_name: str
    bucket: str
    env_ses_sender: str | None
    env_public_base_url: str | None
    #: The stage's SES configuration set (the template sets it): its event destination sends
    #: bounces and complaints to this stage's feedback topic. None locally.
    ses_configuration_set: str | None
    session_ttl_seconds: int
    session_secret: str | None
    session_secret_param: str | None
    issuer_name: str
    issuer_branch: str
    issuer_address: str
    issuer_phone: str
    issuer_representative: str = "取締役社長 原田 保夫"
    issuer_fax: str = "0120-027-306"
    # Issue 31: PDF signatures. A KMS key id signs in a deployed stage (none: the local key);
    # the subjects are settings so a 認定eシール certificate can replace the chain without code.
    signing_key_id: str | None = None
    signing_ca_key_id: str | None = None
    signing_tsa_url: str | None = None
    signing_subject: str = "CN=東日本建設業保証株式会社 電子証書署名,O=東日本建設業保証株式会社,C=JP"
    signing_ca_subject: str = "CN=e-Surety 検証用認証局,O=東日本建設業保証株式会社,C=JP"
    signing_tsa_subject: str = "CN=e-Surety ローカル時刻認証局,O=東日本建設業保証株式会社,C=JP"

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
    def ses_sender(self) -> str:
        return self.stage_value("SES_SENDER")

    @property
    def public_base_url(self) -> str:
        return self.stage_value("PUBLIC_BASE_URL")

    def parameter_name(self, key: str) -> str:
        """`/esurety/<stage>/public-base-url`: where the deploy writes a stage value."""
        return f"/{self.app_name}/{self.stage}/{STAGE_PARAMETERS[key]}"

    def stage_value(self, key: str) -> str:
        """The environment's value, else local's default, else SSM's (NotConfigured when absent).

        A deployed stage never falls back to a default: prod's sender or a
        loopback URL printed into an immutable PDF's QR code is worse than a 503.
        """
        explicit = {"SES_SENDER": self.env_ses_sender, "PUBLIC_BASE_URL": self.env_public_base_url}[key]
        if explicit:
            return explicit
        if self.is_local:
            return LOCAL_DEFAULTS[key]
        values = _read_values(tuple(self.parameter_name(k) for k in STAGE_PARAMETERS), self.region)
        value = values.get(self.parameter_name(key))
        if not value:
            raise NotConfigured(
                [self.parameter_name(k) for k in STAGE_PARAMETERS if not values.get(self.parameter_name(k))]
            )
        return value

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
        env_ses_sender=env.get("SES_SENDER") or None,
        env_public_base_url=env.get("PUBLIC_BASE_URL") or None,
        ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
        session_ttl_seconds=int(env.get("SESSION_TTL_SECONDS", "28800")),
        session_secret=env.get("SESSION_SECRET") or None,
        session_secret_param=env.get("SESSION_SECRET_PARAM") or None,
        issuer_name=env.get("ISSUER_NAME", "東日本建設業保証株式会社"),
        issuer_branch=env.get("ISSUER_BRANCH", "茨城支店"),
        issuer_address=env.get("ISSUER_ADDRESS", "東京都中央区八丁堀2丁目27番10号"),
        issuer_phone=env.get("ISSUER_PHONE", "029-221-3800"),
        issuer_representative=env.get("ISSUER_REPRESENTATIVE", "取締役社長 原田 保夫"),
        issuer_fax=env.get("ISSUER_FAX", "0120-027-306"),
        # A deployed stage signs with its template's keys, by alias (devstack/cfn.py); locally a
        # key id set in the environment (a test on moto's KMS) replaces the local key.
        signing_key_id=env.get("SIGNING_KEY_ID") or (None if stage == "local" else f"alias/{app_name}-{stage}-signing"),
        signing_ca_key_id=env.get("SIGNING_CA_KEY_ID")
        or (None if stage == "local" else f"alias/{app_name}-{stage}-signing-ca"),
        signing_tsa_url=env.get("SIGNING_TSA_URL") or None,
        signing_subject=env.get("SIGNING_SUBJECT") or Settings.signing_subject,
        signing_ca_subject=env.get("SIGNING_CA_SUBJECT") or Settings.signing_ca_subject,
        signing_tsa_subject=Settings.signing_tsa_subject,
    )


@dataclass(frozen=True)
class WebhookSchedule:
    """How the webhook sender runs (API.md "Webhooks": the schedule is a setting).

    - `sweep_minutes`: the deployed sender's EventBridge rate (read when the app is packaged);
    - `sweep_seconds`: how often the local stack's sender thread sweeps;
    - `backoff_scale`: the retry schedule (5 s … 24 h) times this; the local stage's default
      0.001 runs 24 hours of retries in under 90 seconds;
    - `allow_loopback`: the local stage's allowance of `http://127.0.0.1:PORT` targets (so a test
      receiver can listen there). Never outside `local`, whatever the environment says.
    """

    sweep_minutes: int
    sweep_seconds: float
    backoff_scale: float
    allow_loopback: bool


def webhook_schedule() -> WebhookSchedule:
    env = os.environ
    local = current().is_local
    return WebhookSchedule(
        sweep_minutes=max(1, int(env.get("WEBHOOK_SWEEP_MINUTES", "1"))),
        sweep_seconds=float(env.get("WEBHOOK_SWEEP_SECONDS", "0.2")),
        backoff_scale=float(env.get("WEBHOOK_BACKOFF_SCALE", "0.001" if local else "1")),
        allow_loopback=local and env.get("WEBHOOK_ALLOW_LOOPBACK", "1") == "1",
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
    return _read_secret(s.session_secret_param, s.region)


def require_configured() -> None:
    """Raise NotConfigured unless every stage value is known (the app then answers 503)."""
    s = current()
    for key in STAGE_PARAMETERS:
        s.stage_value(key)


def _not_installed(*_args: object) -> NoReturn:
    raise RuntimeError("a deployed stage's parameters are read by chalicelib.store.parameters, not loaded yet")


#: (parameter names, region) → {name: value}, and (name, region) → the secret: SSM's readers,
#: installed by store/parameters.py (until then a deployed stage's read fails loudly).
_read_values: Callable[[tuple[str, ...], str], dict[str, str]] = _not_installed
_read_secret: Callable[[str, str], bytes] = _not_installed


def read_parameters_with(
    *, values: Callable[[tuple[str, ...], str], dict[str, str]], secret: Callable[[str, str], bytes]
) -> None:
    """Where a deployed stage's values and secret come from (store/parameters.py calls this)."""
    global _read_values, _read_secret
    _read_values, _read_secret = values, secret
