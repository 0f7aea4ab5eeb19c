"""Organisations, users, one-time tokens and machine clients as plain values.

The store returns these; services decide with them. Nothing here touches AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Every role of API.md "Accounts". Staff and admin log in with a second factor.
ROLES = ("contractor", "orderer", "staff", "admin")
MFA_ROLES = frozenset({"staff", "admin"})
#: The org kind each role acts for.
ROLE_ORG_KIND = {"contractor": "contractor", "orderer": "orderer", "staff": "branch", "admin": "hq"}

USER_STATUSES = ("invited", "active", "disabled")
ORG_KINDS = ("contractor", "orderer", "branch", "hq")

#: One-time token kinds and how long each lives (API.md: invitation 72 h, reset 1 h).
TOKEN_TTL_SECONDS = {"invitation": 72 * 3600, "reset": 3600, "mfa_reset": 72 * 3600}

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
ORG_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
JIS_CODE_PATTERN = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class Organisation:
    org_id: str
    kind: str  # contractor | orderer | branch | hq
    name: str
    status: str = "active"  # active | disabled

    @property
    def disabled(self) -> bool:
        return self.status == "disabled"


@dataclass(frozen=True)
class User:
    login: str
    role: str
    org_id: str
    org_name: str
    name: str
    email: str | None
    status: str  # invited | active | disabled
    password_hash: str | None = None
    totp_secret: str | None = None
    totp_confirmed: bool = False
    totp_last_step: int = 0

    @property
    def needs_mfa(self) -> bool:
        return self.role in MFA_ROLES

    def public(self) -> dict[str, object]:
        """API.md's user item: never the hash or the TOTP secret."""
        return {
            "login": self.login,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "org_id": self.org_id,
            "status": self.status,
        }


@dataclass(frozen=True)
class OneTimeToken:
    """An invitation, reset or MFA re-enrolment link. Only its SHA-256 is stored."""

    token_hash: str
    kind: str
    login: str
    expires_at: int
    used: bool = False


@dataclass(frozen=True)
class MachineClient:
    client_id: str
    orderer_id: str
    name: str
    created_at: str
    secret_hash: str = field(default="", repr=False)
    status: str = "active"  # active | revoked

    def public(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "orderer_id": self.orderer_id,
            "name": self.name,
            "created_at": self.created_at,
        }
