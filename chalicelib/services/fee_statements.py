"""保証料計算書: the contractor's statement of an application's fee, as a PDF link."""

from __future__ import annotations

from chalicelib import settings
from chalicelib.domain import clock
from chalicelib.domain.principal import Principal
from chalicelib.render import pdf_reservation
from chalicelib.services import applications, fees
from chalicelib.store import objects

#: 振込先 printed on the 保証料計算書 (demo values, like the rates).
PAYEE = {"bank": "〇〇銀行", "branch": "本店営業部", "account": "普通 1234567", "holder": "東日本建設業保証株式会社"}


def fee_statement_url(principal: Principal, application_id: str) -> str:
    """保証料計算書 of the contractor's own application: drawn now (so it shows the payment or
    waiver as it stands), uploaded tagged `pending` — the bucket's lifecycle rule removes these
    throwaway renders after 7 days — and answered as a 60-second URL like every PDF."""
    app = applications.get(principal, application_id)  # NotFound when missing or not theirs
    record = fees.ensure("application", app["id"], app)
    data = pdf_reservation.render_fee_statement(
        issued_on=clock.today().isoformat(),
        contractor_name=principal.org_name,
        project_name=app["project"]["name"],
        subject_label=f"保証申込 {app['id']}",
        lines=record.lines,
        total=record.total,
        paid_on=record.paid_on,
        waived=record.waived,
        bank=PAYEE,
        issuer=settings.current().issuer,
    )
    key = objects.new_key("fee-statements")
    objects.put_pending(key, data)
    return objects.presigned_url(key, f"fee-statement-{app['id']}.pdf")
