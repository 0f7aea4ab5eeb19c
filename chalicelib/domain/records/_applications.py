"""Applications, the drafts kept across a re-login and claimed keys
(store/applications.py, drafts.py, claims.py).

Imported by name from `chalicelib.domain.records`, which loads this module on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
