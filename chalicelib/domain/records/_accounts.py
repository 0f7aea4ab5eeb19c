"""Logins, their one-time tokens and machine clients
(store/accounts.py, tokens.py, clients.py).

Imported by name from `chalicelib.domain.records`, which loads this module on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.accounts import MFA_ROLES


@dataclass(frozen=True)
class Account:
    """A login (a user); `org_id` is the contractor, branch, orderer or hq it acts for.

    Issue 13 added a person's name, a status and the TOTP enrolment. Rows written
    before it read as active and named after their organisation (store/accounts.py).
    """

    login: str
    role: str
    org_id: str
    org_name: str
    password_hash: str | None = field(default=None, repr=False)  # None until an invited user sets one
    email: str | None = None
    name: str = ""
    status: str = "active"  # invited | active | disabled
    totp_secret: str | None = field(default=None, repr=False)  # staff/admin; base32
    totp_confirmed: bool = False
    totp_last_step: int = 0  # the last accepted TOTP step: a code is good once
    link_hash: str | None = field(default=None, repr=False)  # the one live set-up link (store/accounts.py)
    department_id: str | None = None  # issue 29: an orderer user bound to one department (None: all)

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
            "department_id": self.department_id,
        }


@dataclass(frozen=True)
class OneTimeToken:
    """An invitation, reset, MFA re-enrolment or MFA login step. Only its SHA-256 is stored."""

    token_hash: str
    kind: str  # invitation | reset | mfa_reset | mfa
    login: str
    expires_at: int  # epoch seconds
    used: bool = False


@dataclass(frozen=True)
class MachineClient:
    """A machine client (OAuth 2.0 client credentials) acting for one orderer."""

    client_id: str
    orderer_id: str
    name: str
    created_at: str
    secret_hash: str = field(default="", repr=False)  # argon2id
    status: str = "active"  # active | revoked
    allowed_sources: tuple[str, ...] = ()  # CIDR blocks it may act from (domain/source_ranges.py); () = anywhere

    def public(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "client_id": self.client_id,
            "orderer_id": self.orderer_id,
            "name": self.name,
            "created_at": self.created_at,
        }
        if self.allowed_sources:  # only a bound client names them: API.md's item is unchanged otherwise
            shown["allowed_sources"] = list(self.allowed_sources)
        return shown
