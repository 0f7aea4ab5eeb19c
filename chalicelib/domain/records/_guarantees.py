"""Guarantees, their certificate versions, the access log and the orderers' inbox
(store/guarantees.py, access_log.py, inbox.py).

Imported by name from `chalicelib.domain.records`, which loads this module on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
