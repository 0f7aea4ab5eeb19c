"""PDF figures: warm render of each document (fast path vs the naive fpdf2 render, interleaved pairs),
sizes, and the first PDF of a fresh process (each a new interpreter, interleaved with naive ones).

Run alone: .venv/bin/python -m bench.pdfs [--quick] [--json]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import Row, median, summary

ROOT = Path(__file__).resolve().parent.parent

DETAILS = {
    "contractor_name": "〇〇建設 株式会社", "jv_name": "〇〇・△△特定建設工事共同企業体",
    "project_name": "5市単(笠建)第〇-〇号道路改良工事", "orderer_name": "笠間市長",
    "contract_amount": 50000000, "guarantee_amount": 20000000, "period_start": "2026-12-01",
    "period_end": "2027-11-15", "location": "茨城県笠間市〇〇", "deposit_bank": "〇〇銀行 ××支店",
}  # fmt: skip
ISSUER = {
    "name": "東日本建設業保証株式会社",
    "branch": "茨城支店",
    "address": "東京都中央区八丁堀2丁目27番10号",
    "phone": "029-221-3800",
}
KEY = "Z28YUE4J3Bux"


def _content() -> tuple[dict[str, Any], str]:
    from chalicelib.domain import certificate

    c = certificate.build_content(
        number="30026-000001M", kind="advance_payment", form="electronic", version=1, version_kind="new",
        orderer_id="08216", deadline="2027-11-15", details=DETAILS, issued_on="2026-11-01", issuer=ISSUER,
    )  # fmt: skip
    return c, certificate.sha256(c)


def _certificate(c: dict[str, Any], sha: str) -> bytes:
    """One certificate PDF as issuance draws it: glyph check, QR code, drawing, output."""
    from chalicelib.render import pdf

    pdf.check_drawable(pdf._certificate_texts(c))
    url = pdf.verify_url(c["number"])
    return pdf._draw_certificate(c, sha, pdf.qr_png(url), url)


def _timed(fn: Any) -> tuple[float, Any]:
    """CPU milliseconds of this thread (what a render costs, whatever else the machine runs) and the result."""
    t = time.thread_time()
    out = fn()
    return (time.thread_time() - t) * 1000, out


def warm(pairs: int) -> list[Row]:
    from chalicelib.render import pdf, pdf_font

    c, sha = _content()
    for _ in range(2):  # warm both paths: the font prototype, fpdf2's and segno's first-use costs
        _certificate(c, sha)
        with pdf_font.naive():
            _certificate(c, sha)
    fast_cert, naive_cert, fast_notice, naive_notice, fast_both, naive_both = [], [], [], [], [], []
    fast_wall: list[float] = []
    for _ in range(pairs):
        w = time.perf_counter()
        ms, cert = _timed(lambda: _certificate(c, sha))
        fast_wall.append((time.perf_counter() - w) * 1000)
        fast_cert.append(ms)
        with pdf_font.naive():
            naive_cert.append(_timed(lambda: _certificate(c, sha))[0])
        ms, notice = _timed(lambda: pdf.render_key_notice(c, sha, KEY))
        fast_notice.append(ms)
        with pdf_font.naive():
            naive_notice.append(_timed(lambda: pdf.render_key_notice(c, sha, KEY))[0])
        fast_both.append(_timed(lambda: pdf.render_documents(c, sha, KEY))[0])
        with pdf_font.naive():
            naive_both.append(_timed(lambda: pdf.render_documents(c, sha, KEY))[0])
    ratio = median(naive_cert) / median(fast_cert)
    return [
        Row(
            "certificate PDF, warm p50",
            "≤ 30 ms and ≥ 4× faster than a naive render",
            summary(fast_cert),
            f"naive (new FPDF + add_font + page, fontTools subset): {summary(naive_cert)}",
            median(fast_cert) <= 30 and ratio >= 4,
            f"{ratio:.1f}× faster; {pairs} interleaved pairs; QR code and glyph check included in both; "
            f"wall this run {median(fast_wall):.1f} ms",
        ),
        Row(
            "key notice PDF, warm p50",
            "≤ 30 ms",
            summary(fast_notice),
            f"naive: {summary(naive_notice)}",
            median(fast_notice) <= 30,
            f"{median(naive_notice) / median(fast_notice):.1f}× faster",
        ),
        Row(
            "both PDFs of one guarantee (the issuance path), warm",
            "—",
            summary(fast_both),
            f"naive: {summary(naive_both)}",
            None,
            "one QR code shared by the two documents",
        ),
        Row(
            "PDF size (unsigned)",
            "≤ 64 KB",
            f"certificate {len(cert) / 1000:.1f} KB, key notice {len(notice) / 1000:.1f} KB",
            "",
            max(len(cert), len(notice)) <= 64_000,
            "font subset by HarfBuzz, hinting kept (as fontTools keeps it); 60 KB before the signature block's glyphs",
        ),
    ]


_FIRST = r"""
import json, sys, time
naive = sys.argv[1] == "naive"
from bench.pdfs import _certificate, _content
from chalicelib.render import pdf
import app  # noqa: F401 - the process has started the app, as a Lambda container has
c, sha = _content()
t0 = time.process_time()
from chalicelib.render import pdf_font  # imports fpdf2 as the app does (render/fpdf_lean.py)
import segno  # noqa: F401
t1 = time.process_time()
if naive:
    with pdf_font.naive():
        _certificate(c, sha)
else:
    _certificate(c, sha)
t2 = time.process_time()
print(json.dumps({"with_imports": (t2 - t0) * 1000, "imports": (t1 - t0) * 1000, "after_imports": (t2 - t1) * 1000}))
"""


def first(runs: int) -> list[Row]:
    fast: list[dict[str, float]] = []
    naive: list[dict[str, float]] = []
    for _ in range(runs):
        for label, sink in (("fast", fast), ("naive", naive)):
            out = subprocess.run(
                [sys.executable, "-c", _FIRST, label], cwd=ROOT, capture_output=True, text=True, check=True
            )
            sink.append(json.loads(out.stdout.strip().splitlines()[-1]))

    def col(rows: list[dict[str, float]], key: str) -> list[float]:
        return [r[key] for r in rows]

    with_imports = col(fast, "with_imports")
    after = col(fast, "after_imports")
    return [
        Row(
            "first PDF in a process (certificate), fpdf2's import included",
            "≤ 150 ms",
            summary(with_imports),
            f"naive: {summary(col(naive, 'with_imports'))}",
            median(with_imports) <= 150,
            f"of which importing fpdf2 (+fontTools, PIL …; without unittest.mock and cryptography since issue 32) and segno: {median(col(fast, 'imports')):.0f} ms; "
            f"{runs} fresh interpreters each, interleaved",
        ),
        Row(
            "first PDF in a process, after fpdf2 is imported (font parse + HarfBuzz + draw)",
            "≤ 150 ms",
            summary(after),
            f"naive: {summary(col(naive, 'after_imports'))}",
            median(after) <= 150,
            "the part this code controls: the font is parsed once here, then shared by every later PDF",
        ),
    ]


def run(quick: bool) -> list[Row]:
    return warm(15 if quick else 40) + first(3 if quick else 7)


if __name__ == "__main__":
    rows = run("--quick" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
    else:
        from bench.report import table

        print(table(rows))
