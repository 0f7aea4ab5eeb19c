"""Print how long the two PDFs of one guarantee take to render (not a test: figures).

Usage: .venv/bin/python bench/issue_pdf.py [runs]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.domain import certificate  # noqa: E402
from chalicelib.render import pdf  # noqa: E402

DETAILS = {
    "contractor_name": "〇〇建設 株式会社", "jv_name": None, "project_name": "5市単(笠建)第〇-〇号道路改良工事",
    "orderer_name": "笠間市長", "contract_amount": 50000000, "guarantee_amount": 20000000,
    "period_start": "2026-12-01", "period_end": "2027-11-15", "location": "茨城県笠間市〇〇", "deposit_bank": "〇〇銀行 ××支店",
}
ISSUER = {"name": "東日本建設業保証株式会社", "branch": "茨城支店", "address": "東京都中央区八丁堀2丁目27番10号", "phone": "029-221-3800"}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    content = certificate.build_content(
        number="30026-000001M", kind="advance_payment", form="electronic", version=1, version_kind="new",
        orderer_id="08216", deadline="2027-11-15", details=DETAILS, issued_on="2026-11-01", issuer=ISSUER,
    )
    sha = certificate.sha256(content)
    t0 = time.perf_counter()
    docs = pdf.render_documents(content, sha, "Z28YUE4J3Bux")
    first = time.perf_counter() - t0
    both, cert_only = [], []
    for _ in range(runs):
        t = time.perf_counter()
        docs = pdf.render_documents(content, sha, "Z28YUE4J3Bux")
        both.append(time.perf_counter() - t)
        t = time.perf_counter()
        pdf._draw_certificate(content, sha, None, pdf.verify_url(content["number"]))
        cert_only.append(time.perf_counter() - t)
    print(f"first call (imports, cmap load): {first * 1000:.0f} ms")
    print(f"certificate + key notice, median of {runs}: {statistics.median(both) * 1000:.0f} ms")
    print(f"certificate only, median of {runs}: {statistics.median(cert_only) * 1000:.0f} ms")
    print(f"sizes: certificate {len(docs.certificate):,} B, key notice {len(docs.key_notice or b''):,} B")


if __name__ == "__main__":
    main()
