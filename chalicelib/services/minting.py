"""A new guarantee's version 1, minted one way for both issuers (DESIGN.md §2 "Data").

Issuing an application (services/issuance.py) and a 契約保証予約
(services/reservations.py) make the same thing, per guarantee: a 保証契約番号
(every number of one issue from ONE counter update), a 認証キー when it is
electronic, the certificate content of version 1 (新規), and its PDFs. The PDFs
are uploaded first, tagged `pending` (services/documents.py); then the caller's
`commit` writes every row in ONE DynamoDB transaction. Whatever fails before
the commit, the uploads are deleted; after an ambiguous failure (a timeout, a
lost reply) the first version row is read back and decides; once the
transaction commits the objects are released (untagged). Serials taken by a
failed attempt are gaps.

What differs stays with the caller: the checks before, the content and details
(`Order.draft`), and the transaction with what joins it (`commit`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import auth_key as keys
from chalicelib.domain import branches, numbering
from chalicelib.domain import certificate as cert_domain
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.records import CertificateVersion, Guarantee
from chalicelib.services import documents
from chalicelib.store import counters
from chalicelib.store import guarantees as guarantees_store

#: One minted guarantee: its row and its version 1, as store/guarantees.py writes them.
Minted = tuple[Guarantee, CertificateVersion]


@dataclass(frozen=True)
class Parties:
    """What every guarantee of one issue shares."""

    subject_id: str  # the application's id (a 契約保証予約's own id for its guarantee row)
    contractor_org: str
    orderer_id: str


@dataclass(frozen=True)
class Order:
    """One guarantee to mint: its kind (advance_payment, contract_guarantee or contract_reservation),
    whether it is electronic, and `draft(number)` → (version 1's content, the guarantee's details)."""

    kind: str
    electronic: bool
    draft: Callable[[str], tuple[dict[str, Any], dict[str, Any]]]


def branch_code(branch_id: str | None) -> str:
    """The code of the 支店 the numbers are taken for: the application's 申込送信先."""
    branch = branches.branch(branch_id or "")
    if branch is None:
        raise ValidationFailed([FieldError("delivery.branch_id", "申込送信先の支店が見つかりません。")])
    return branch.code


def mint(
    branch: str,
    parties: Parties,
    orders: Sequence[Order],
    commit: Callable[[list[Minted]], None],
    *,
    today: dt.date,
    now: str,
) -> list[Minted]:
    """Number, key, draw and upload every order, then `commit(minted)` (the block's last step:
    one transaction); see the module docstring for what happens when anything fails."""
    with documents.pending() as docs:
        minted = [
            _mint_one(docs, parties, order, number, now)
            for order, number in zip(orders, _numbers(branch, today, [o.kind for o in orders]), strict=True)
        ]
        first, v1 = minted[0]
        docs.committed_if(functools.partial(guarantees_store.points_at, first.number, 1, "pdf_key", v1.pdf_key))
        commit(minted)
    return minted


def _numbers(branch: str, today: dt.date, kinds: list[str]) -> list[str]:
    """One 保証契約番号 per kind, all from one counter update of the branch's fiscal year."""
    fy = numbering.fiscal_year_code(today)
    serials = counters.take(numbering.counter_name(branch, fy), len(kinds), numbering.MAX_SERIAL)
    return [numbering.format_number(branch, fy, serial, kind) for kind, serial in zip(kinds, serials, strict=True)]


def _mint_one(docs: documents.Pending, parties: Parties, order: Order, number: str, now: str) -> Minted:
    """The key, the content and its PDFs (uploaded pending), as the rows that will reference them."""
    key = keys.generate() if order.electronic else None
    content, details = order.draft(number)
    sha = cert_domain.sha256(content)
    upload = docs.version(content, sha, key)
    guarantee = Guarantee(
        number=number,
        application_id=parties.subject_id,
        kind=order.kind,
        form="electronic" if order.electronic else "paper",
        status="valid",
        contractor_org=parties.contractor_org,
        orderer_id=parties.orderer_id,
        issued_at=now,
        deadline=details["period_end"],
        details=details,
        auth_key=key,
        latest_version=1,
    )
    v1 = CertificateVersion(
        number=number,
        version=1,
        kind="new",
        content=content,
        sha256=sha,
        issued_at=now,
        pdf_key=upload.pdf_key,
        key_notice_key=upload.key_notice_key,
    )
    return guarantee, v1
