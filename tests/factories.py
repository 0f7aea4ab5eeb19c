"""Test data written straight to the tables, in the shapes docs/CONTRACTS.md fixes.

Used by tests that need an application, a guarantee or a certificate version
without going through the use case that normally creates it. Written through the store's
repositories (chalicelib/store/), never the PynamoDB models; what they write is returned as the
domain's records (chalicelib/domain/records/).
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.records import Application, CertificateVersion, Guarantee
from chalicelib.store import applications, guarantees, tx
from tests import pdfs

APPLICATION_BODY: dict[str, Any] = {
    "project": {
        "name": "5市単(笠建)第〇-〇号道路改良工事",
        "orderer_id": "08216",
        "contract_type": "construction",
        "jv_name": None,
        "contract_amount": 50000000,
        "period_start": "2026-12-01",
        "period_end": "2027-11-15",
        "location": "茨城県笠間市〇〇",
    },
    "advance_payment": {
        "amount": 20000000,
        "this_year_amount": None,
        "intermediate_amount": None,
        "deposit_bank": "〇〇銀行 ××支店",
        "redeposit": False,
        "fee_payment": "lump_sum",
        "intermediate": False,
        "intermediate_planned": False,
        "form": "electronic",
    },
    "contract_guarantee": {"amount": 5000000, "fee_payment": "lump_sum", "form": "electronic", "low_bid": False},
    "bid": {
        "order_type": "general",
        "award_date": "20261030",
        "rounds": 1,
        "bidders": 5,
        "disqualified": 0,
        "second_bidder": "△△工業",
        "second_amount_k": 49500,
        "highest_bidder": "□□建設",
        "highest_amount_k": 52000,
    },
    "delivery": {
        "branch_id": "ibaraki",
        "receipt": "mail",
        "receipt_date": "2026-12-10",
        "notify": True,
        "email": "soumu@example.co.jp",
        "mail_to": {"name": "〇〇建設 株式会社", "postal_code": "309-1792", "address": "茨城県笠間市〇〇0-00-0"},
    },
}


def application_body(**overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(APPLICATION_BODY)
    for path, value in overrides.items():
        node = body
        parts = path.split("__")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    return body


def canonical_sha256(content: dict[str, Any]) -> str:
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def make_application(
    owner_org: str = "c-0001",
    status: str = "submitted",
    form: dict | None = None,
    fee: str | None = "paid",
    reject_reason: str | None = None,
    decided_at: str | None = None,
) -> Application:
    """An application row; its 保証料 is recorded as paid unless `fee` is "unpaid" (or "waived")."""
    app = applications.create(
        Application(
            application_id=secrets.token_hex(8),
            owner_org=owner_org,
            owner_login="demo-contractor" if owner_org == "c-0001" else "other-contractor",
            status=status,
            submitted_at=clock.iso_now(),
            form=form or application_body(),
            reject_reason=reject_reason,
            decided_at=decided_at,
        )
    )
    settle_fee("application", app.application_id, app.form, fee)
    return app


def settle_fee(kind: str, ident: str, form: dict, how: str | None = "paid") -> None:
    """Freeze the subject's 保証料 and record it paid (today) or waived, as staff would (issue 17)."""
    from chalicelib.domain.audit import AuditEntry
    from chalicelib.services import fees
    from chalicelib.store import fees as fee_store

    record = fees.ensure(kind, ident, form)
    target = f"{kind}:{ident}"
    if how == "paid":
        entry = AuditEntry(actor="ibaraki-staff", action="fee_payment", target=target, scope="ibaraki")
        fee_store.record_payment(record.subject, record.total, clock.today().isoformat(), "ibaraki-staff", entry)
    elif how == "waived":
        entry = AuditEntry(
            actor="ibaraki-staff", action="fee_waiver", target=target, scope="ibaraki", reason="テスト用の免除"
        )
        fee_store.record_waiver(record.subject, "テスト用の免除", "ibaraki-staff", entry)


def make_guarantee(
    number: str,
    *,
    kind: str = "advance_payment",
    form: str = "electronic",
    contractor_org: str = "c-0001",
    contractor_name: str = "〇〇建設 株式会社",
    orderer_id: str = "08216",
    orderer_name: str = "笠間市長",
    project_name: str = "5市単(笠建)第〇-〇号道路改良工事",
    deadline: str = "2027-11-15",
    status: str = "valid",
    auth_key: str | None = "Z28YUE4J3Bux",
    issued_at: str | None = None,
    notify: bool = True,
    email: str | None = "soumu@example.co.jp",
    application_id: str = "app-1",
    pdf_key: str | None = None,
    key_notice_key: str | None = None,
    branch_id: str = "ibaraki",
) -> Guarantee:
    issued_at = issued_at or clock.iso_now()
    details = {
        "contractor_name": contractor_name,
        "jv_name": None,
        "project_name": project_name,
        "orderer_name": orderer_name,
        "contract_amount": 50000000,
        "guarantee_amount": 20000000 if kind == "advance_payment" else 5000000,
        "period_start": "2026-12-01",
        "period_end": deadline,
        "location": "茨城県笠間市〇〇",
        "deposit_bank": "〇〇銀行 ××支店" if kind == "advance_payment" else None,
        "branch_id": branch_id,
        "notify": notify,
        "email": email,
    }
    g = Guarantee(
        number=number,
        application_id=application_id,
        kind=kind,
        form=form,
        status=status,
        contractor_org=contractor_org,
        orderer_id=orderer_id,
        issued_at=issued_at,
        deadline=deadline,
        details=details,
        auth_key=auth_key if form == "electronic" else None,
        latest_version=1,
    )
    v1 = version_of(g, 1, "new", issued_at=issued_at, pdf_key=pdf_key, key_notice_key=key_notice_key)
    tx.commit(guarantees.add_new(tx.Writes(), g, v1), what="factory")
    return guarantees.get(number, consistent=True)


def version_of(
    g: Guarantee,
    version: int,
    version_kind: str,
    *,
    issued_at: str | None = None,
    pdf_key: str | None = None,
    key_notice_key: str | None = None,
    reason: str | None = None,
) -> CertificateVersion:
    issued_at = issued_at or clock.iso_now()
    d = g.details
    content = {
        "number": g.number,
        "kind": g.kind,
        "product_name": "前払金保証" if g.kind == "advance_payment" else "契約保証",
        "form": g.form,
        "version": version,
        "version_kind": version_kind,
        "contractor_name": d["contractor_name"],
        "jv_name": d["jv_name"],
        "orderer_id": g.orderer_id,
        "orderer_name": d["orderer_name"],
        "project_name": d["project_name"],
        "contract_amount": d["contract_amount"],
        "guarantee_amount": d["guarantee_amount"],
        "deadline": g.deadline,
        "period_start": d["period_start"],
        "period_end": d["period_end"],
        "location": d["location"],
        "deposit_bank": d["deposit_bank"],
        "issued_on": issued_at[:10],
        "issuer": pdfs.ISSUER,
        "binding_sentence": "当社は、前払金保証約款に基づき上記のとおり保証契約を締結し、その責に任じます。",
        "reason": reason,
    }
    return CertificateVersion(
        number=g.number,
        version=version,
        kind=version_kind,
        content=content,
        sha256=canonical_sha256(content),
        issued_at=issued_at,
        pdf_key=pdf_key,
        key_notice_key=key_notice_key,
        reason=reason,
    )


def add_version(
    g: Guarantee,
    version: int,
    version_kind: str,
    *,
    issued_at: str | None = None,
    pdf_key: str | None = None,
    key_notice_key: str | None = None,
    reason: str | None = None,
) -> CertificateVersion:
    """A further certificate version of `g`, drawn from `g` as given (its details may differ from the
    stored guarantee's: the content is what the version says). The guarantee keeps its state —
    latest_version, status — as stored; a test that needs them moved sets them itself."""
    v = version_of(
        g, version, version_kind, issued_at=issued_at, pdf_key=pdf_key, key_notice_key=key_notice_key, reason=reason
    )
    stored = guarantees.get(g.number, consistent=True)
    assert stored is not None, g.number
    guarantees.add_version(stored, v)
    return v


def reservation_body(days_to_bid: int = 14, **overrides: Any) -> dict[str, Any]:
    """A 契約保証予約 body (API.md) with a bid date `days_to_bid` days from today (JST)."""
    import datetime as _dt

    body: dict[str, Any] = {
        "project": {
            "name": "5市単(笠建)第〇-〇号道路改良工事",
            "orderer_id": "08216",
            "contract_type": "construction",
            "bid_date": (clock.today() + _dt.timedelta(days=days_to_bid)).isoformat(),
            "location": "茨城県笠間市〇〇",
        },
        "bid_amount": 48_000_000,
        "form": "electronic",
        "delivery": copy.deepcopy(APPLICATION_BODY["delivery"]),
    }
    for path, value in overrides.items():
        node = body
        parts = path.split("__")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    return body
