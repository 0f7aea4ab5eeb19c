"""A certificate's sample content (as issuing builds it) and reading a PDF back as a person (or pypdf) would."""

from __future__ import annotations

import io

from pypdf import PdfReader

from chalicelib.domain import certificate

ISSUER = {
    "name": "東日本建設業保証株式会社",
    "branch": "茨城支店",
    "address": "東京都中央区八丁堀2丁目27番10号",
    "phone": "029-221-3800",
}
DETAILS = {
    "contractor_name": "〇〇建設 株式会社",
    "jv_name": None,
    "project_name": "5市単(笠建)第〇-〇号道路改良工事",
    "orderer_name": "笠間市長",
    "contract_amount": 50000000,
    "guarantee_amount": 20000000,
    "period_start": "2026-12-01",
    "period_end": "2027-11-15",
    "location": "茨城県笠間市〇〇",
    "deposit_bank": "〇〇銀行 ××支店",
}


def certificate_content(**overrides):
    """笠間市's 前払金保証 no. 30026-000007M as domain/certificate.build_content makes it; any argument
    (`details=` whole) may be replaced."""
    args = dict(
        number="30026-000007M",
        kind="advance_payment",
        form="electronic",
        version=1,
        version_kind="new",
        orderer_id="08216",
        deadline="2027-11-15",
        details=DETAILS,
        issued_on="2026-11-02",
        issuer=ISSUER,
    )
    args.update(overrides)
    return certificate.build_content(**args)


def pdf_text(data: bytes) -> str:
    """Every page's extracted text, one page after the other."""
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
