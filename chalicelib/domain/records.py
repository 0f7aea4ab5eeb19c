"""The stored aggregates as plain values: what `store/` repositories return and accept.

Services and handlers work with these frozen dataclasses, never with PynamoDB
models, so the cloud seam stays in `store/` (DESIGN.md §2) and a service can be
exercised against an in-memory repository. Field names follow docs/CONTRACTS.md.
A changed record is a new value (`dataclasses.replace`); the repository decides
how it is written.

Two records live elsewhere, because `import app` needs them and this module's
others load with the services that use them (a frozen dataclass costs ~0.6 ms to
build, and a cold container pays for every one it imports; issue 32): a session
row (`principal.SessionRecord`, read by the session check) and the 発注者
(`orderers.Orderer`, read by the rules tables the route declarations import).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
class Organisation:
    """A contractor, orderer, branch or hq, and whether it is disabled."""

    org_id: str
    kind: str  # contractor | orderer | branch | hq
    name: str
    status: str = "active"  # active | disabled

    @property
    def disabled(self) -> bool:
        return self.status == "disabled"


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


@dataclass(frozen=True)
class Application:
    """A 保証申込: its owner, where it stands and the normalised form."""

    application_id: str
    owner_org: str
    owner_login: str
    status: str  # submitted | issued | rejected
    submitted_at: str
    form: dict[str, Any]
    reject_reason: str | None = None
    decided_at: str | None = None
    owner_name: str | None = None  # the contractor's name when it applied (None on older rows)
    fee_settled: bool = False  # its 保証料 is paid or waived (issue 17; the fees row says how)
    guarantee_numbers: tuple[str, ...] = ()  # set when issued: the application links to its guarantees

    @property
    def branch_id(self) -> str | None:
        return ((self.form or {}).get("delivery") or {}).get("branch_id")


@dataclass(frozen=True)
class Guarantee:
    """The current state of one guarantee; its history is its CertificateVersions.

    `lock_version` is the optimistic lock as read (None for a guarantee not yet
    written): the repository conditions a write on it, so of two concurrent
    writers of one guarantee only one commits.
    """

    number: str
    application_id: str
    kind: str  # advance_payment | contract_guarantee
    form: str  # electronic | paper
    status: str  # valid | cancelled (expired is derived from the deadline)
    contractor_org: str
    orderer_id: str
    issued_at: str
    deadline: str
    details: dict[str, Any]
    auth_key: str | None = None
    latest_version: int = 1
    lock_version: int | None = None
    #: The versions (and the latest's content) as kept on the row, oldest first; () when the
    #: row predates it. Written by the repository from the versions it writes.
    history: tuple[CertificateVersion, ...] = ()
    #: When the 認証キー was last reissued (an event, not a version): the D-Sure inbox flags the
    #: guarantee for every orderer that verified it before then (issue 14).
    key_reissued_at: str | None = None
    #: When the latest 保証期限 reminder went out (issue 30): `latest_event: expiring` while newer
    #: than the latest version and key reissue.
    expiring_at: str | None = None

    @property
    def branch_id(self) -> str | None:
        return (self.details or {}).get("branch_id")

    @property
    def electronic(self) -> bool:
        return self.form == "electronic"


@dataclass(frozen=True)
class CertificateVersion:
    """One immutable version of a certificate (its row drives the notify trigger)."""

    number: str
    version: int
    kind: str  # new | correction | change | cancellation
    content: dict[str, Any]
    sha256: str
    issued_at: str
    pdf_key: str | None = None
    key_notice_key: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class AccessLogEntry:
    """One verification attempt (閲覧履歴): who, which number as entered, when, the result."""

    number: str
    at: str  # ISO time + "#" + a random suffix, unique per number
    orderer_id: str
    login: str
    result: str

    @property
    def time(self) -> str:
        return self.at.split("#", 1)[0]


@dataclass(frozen=True)
class InboxRow:
    """A guarantee an orderer has verified, and the newest version it has seen."""

    orderer_id: str
    number: str
    last_seen_version: int
    changed_at: str
    verified_at: str | None = None


@dataclass(frozen=True)
class SealedDraft:
    """A form kept across a re-login, as stored: ciphertext only (services/drafts.py seals it).

    `draft_hash` is the SHA-256 of the draft id (the id itself lives only in the
    browser's cookie); `expires_at` is epoch seconds (the row's TTL)."""

    draft_hash: str
    sealed: str
    expires_at: int


@dataclass(frozen=True)
class ClaimRecord:
    """A claimed key with a lease (store/claims.py): who holds it until when, and what it recorded."""

    key: str
    status: str
    lease_until: int = 0
    claim_token: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Department:
    """A department (課) of an orderer that deliveries are routed to; `main` (代表) always exists."""

    orderer_id: str
    department_id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A 提出: a guarantee handed to one department of its orderer, and where it stands (API.md).

    `event_at` is the time of the newest thing that put it (back) to `delivered` — the 提出, a new
    version, a key reissue: every decision is conditioned on it, so a decision made on what the
    clerk saw before a change cannot land after it."""

    delivery_id: str
    number: str
    orderer_id: str
    department_id: str
    contractor_org: str
    kind: str
    version: int
    latest_event: str  # new | correction | change | cancellation | key_reissued | expiring
    status: str  # delivered | received | returned
    delivered_at: str
    event_at: str
    orderer_reference: str | None = None
    message: str | None = None
    received_at: str | None = None
    received_by_login: str | None = None
    returned_reason: str | None = None
    check: dict[str, Any] | None = None
    seen: bool = False
    #: Who did what when (提出, 受領, 差戻し, a version followed), oldest first: the orderer's decisions
    #: are not staff/admin writes (API.md's audit trail), so the delivery keeps its own record of them.
    history: tuple[dict[str, Any], ...] = ()
