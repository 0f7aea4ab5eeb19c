"""保証料計算書: the contractor's statement of an application's or a reservation's fee (with the
振込先), as a PDF link."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from chalicelib import settings
from chalicelib.domain import clock
from chalicelib.domain.principal import Principal
from chalicelib.render import pdf_reservation
from chalicelib.render.formatting import application_number
from chalicelib.services import applications, fees, reservations, signing
from chalicelib.store import objects

#: 振込先 printed on the 保証料計算書 (demo values, like the rates).
PAYEE = {"bank": "〇〇銀行", "branch": "本店営業部", "account": "普通 1234567", "holder": "東日本建設業保証株式会社"}


def _key(subject: str, state: str) -> str:
    """One object per subject and fee state, at a key nobody can guess from the 申込番号."""
    mac = hmac.new(settings.signing_secret(), f"fee-statement|{subject}|{state}".encode(), hashlib.sha256)
    return f"fee-statements/{mac.hexdigest()[:40]}.pdf"


def _state(record: Any) -> str:
    """The fee state a statement shows: unpaid, paid (on its day) or waived."""
    return f"paid:{record.paid_on}" if record.paid_on else ("waived" if record.waived else "unpaid")


def fee_statement_url(principal: Principal, application_id: str) -> str:
    """保証料計算書 of the contractor's own application as a 60-second URL like every PDF.

    Rendered once per application and fee state — unpaid, paid (on its day), waived — and
    reused by every later download in that state (issue 26: 20 downloads stored 20 objects), so
    it shows the payment or waiver as it stands without a new object per click."""
    app = applications.get(principal, application_id)  # NotFound when missing or not theirs
    label = f"保証申込 申込番号 {application_number(app['id'])}"
    return _statement(principal, "application", app["id"], app, app["project"]["name"], label)


def reservation_fee_statement_url(principal: Principal, reservation_id: str) -> str:
    """予約手数料の計算書 (with the 振込先) of the contractor's own 契約保証予約, as for an application."""
    r = reservations.get(principal, reservation_id)  # NotFound when missing or not theirs
    form = {"project": r["project"], "bid_amount": r["bid_amount"]}
    label = f"契約保証予約 受付番号 {application_number(r['id'])}"
    return _statement(principal, "reservation", r["id"], form, r["project"]["name"], label)


def _statement(principal: Principal, kind: str, ident: str, form: dict, project_name: str, label: str) -> str:
    record = fees.ensure(kind, ident, form)
    key = _key(f"{kind}:{ident}", _state(record))
    filename = f"fee-statement-{ident}.pdf"
    if objects.exists(key):
        return objects.presigned_url(key, filename)
    data = pdf_reservation.render_fee_statement(
        issued_on=clock.today().isoformat(),
        contractor_name=principal.org_name,
        project_name=project_name,
        subject_label=label,
        lines=record.lines,
        total=record.total,
        paid_on=record.paid_on,
        waived=record.waived,
        bank=PAYEE,
        issuer=settings.current().issuer,
    )
    data = signing.sign(data, signing.DocumentRef("fee_statement", str(ident), None))
    objects.put_released(key, data, {"document": "fee_statement", "subject": f"{kind}:{ident}"})
    return objects.presigned_url(key, filename)


def statement_status(ident: str, data: bytes) -> str:
    """/verify/pdf: `valid` while `data` is the statement of the application's (or reservation's)
    current fee state, `superseded` once a newer statement of it exists (paid or waived since),
    `unknown` when neither has a fee."""
    from chalicelib.domain import fees as fee_domain
    from chalicelib.store import fees as fee_store

    for kind in ("application", "reservation"):
        record = fee_store.get(fee_domain.subject(kind, ident))
        if record is not None:
            key = _key(f"{kind}:{ident}", _state(record))
            return "valid" if objects.exists(key) and objects.get(key) == data else "superseded"
    return "unknown"
