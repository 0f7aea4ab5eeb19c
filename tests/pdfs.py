"""A certificate's sample content (as issuing builds it) and reading a PDF back as a person (or pypdf) would."""

from __future__ import annotations

import io

from pypdf import PdfReader

from chalicelib import event_loops
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


def signature_report(data: bytes, root_pem: str, tsa_root_pem: str | None = None) -> dict:
    """A signed PDF as pyHanko's validator sees it against the published root (`root_pem`; the
    timestamp against `tsa_root_pem`, by default the same), with only the revocation data the PDF
    itself embeds (its DSS): no fetching, revocation checks mandatory."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature

    root = x509.Certificate.load(pem.unarmor(root_pem.encode())[2])
    tsa_root = x509.Certificate.load(pem.unarmor(tsa_root_pem.encode())[2]) if tsa_root_pem else root
    reader = PdfFileReader(io.BytesIO(data))
    signatures = reader.embedded_signatures
    if not signatures:
        return {"signed": False}
    dss = DocumentSecurityStore.read_dss(reader)
    settings = {"allow_fetching": False, "revocation_mode": "hard-fail"}
    status = event_loops.outside_running_loop(  # pyHanko's asyncio.run, in a worker Playwright left a loop in
        validate_pdf_signature,
        signatures[0],
        dss.as_validation_context({**settings, "trust_roots": [root]}),
        ts_validation_context=dss.as_validation_context({**settings, "trust_roots": [tsa_root]}),
    )
    return {
        "signed": True,
        "intact": status.intact,
        "trusted": status.trusted,
        "bottom_line": status.bottom_line,
        "whole_file": status.coverage.name == "ENTIRE_FILE",
        "pades": str(signatures[0].sig_object["/SubFilter"]) == "/ETSI.CAdES.detached",
        "timestamped": bool(status.timestamp_validity and status.timestamp_validity.valid),
        "dss_certificates": len(list(dss.load_certs())),
        "dss_crls": len(dss.crls),
        "keywords": list(reader.document_meta_view.keywords or []),
    }


def flipped(data: bytes) -> bytes:
    """`data` with one byte of the signed range changed (a digit of the page's content stream)."""
    at = data.index(b"stream", len(data) // 3) + 20
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
