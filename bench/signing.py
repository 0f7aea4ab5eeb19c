"""Signing figures (issue 31): PAdES B-LT with the local key (EC P-256), warm, CPU of this thread.

What is counted: our side of signing — the CMS signature, the DSS (chain and CRL), the timestamp
request and embedding — and not the TSA's own work (the local TSA runs in this process: its
time is measured and taken out, as a remote TSA's would not be counted), nor a KMS round trip
(a deployed stage's key: the network, not this CPU).

Run alone: .venv/bin/python -m bench.signing [--quick] [--json]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

from bench.pdfs import KEY, _certificate, _content
from bench.report import Row, median, summary


def _tsa_meter() -> list[float]:
    """Patch the local TSA to record its own CPU per answer (milliseconds)."""
    from chalicelib.store import tsa

    spent: list[float] = []
    respond = tsa.LocalTsa.respond

    def metered(self: Any, request: Any) -> Any:
        t = time.thread_time()
        try:
            return respond(self, request)
        finally:
            spent.append((time.thread_time() - t) * 1000)

    tsa.LocalTsa.respond = metered  # type: ignore[method-assign]
    return spent


def warm(rounds: int) -> list[Row]:
    os.environ.setdefault("SIGNING_LOCAL_DIR", tempfile.mkdtemp(prefix="bench-signing-"))
    from chalicelib.render import pdf
    from chalicelib.services import signing

    c, sha = _content()
    ref = signing.DocumentRef("certificate", c["number"], c["version"])
    notice_ref = signing.DocumentRef("key_notice", c["number"], c["version"])
    spent = _tsa_meter()
    for _ in range(3):  # the chain, pyHanko's imports, the font: first-use costs
        signing.sign(pdf.render_documents(c, sha, KEY).certificate, ref)
    sign_ms, one_ms, both_ms, tsa_ms, sizes = [], [], [], [], []
    for _ in range(rounds):
        drawn = pdf.render_documents(c, sha, KEY)
        spent.clear()
        t = time.thread_time()
        signed = signing.sign(drawn.certificate, ref)
        sign_ms.append((time.thread_time() - t) * 1000 - sum(spent))
        tsa_ms.append(sum(spent))
        sizes.append(len(signed))
        spent.clear()
        t = time.thread_time()
        signing.sign(_certificate(c, sha), ref)
        one_ms.append((time.thread_time() - t) * 1000 - sum(spent))
        spent.clear()
        t = time.thread_time()
        both = pdf.render_documents(c, sha, KEY)
        signing.sign(both.certificate, ref)
        signing.sign(both.key_notice or b"", notice_ref)
        both_ms.append((time.thread_time() - t) * 1000 - sum(spent))
    return [
        Row(
            "PDF signing (PAdES B-LT, local EC P-256 key), warm p50",
            "≤ 20 ms CPU",
            summary(sign_ms),
            "",
            median(sign_ms) <= 20,
            f"CMS + DSS (chain, CRL) + our side of the RFC 3161 request; bytes_reserved set (one pass); "
            f"the TSA's own work ({median(tsa_ms):.1f} ms, local TSA) and a KMS round trip excluded; {rounds} rounds",
        ),
        Row(
            "render + sign one certificate, warm p50",
            "≤ 45 ms CPU",
            summary(one_ms),
            "",
            median(one_ms) <= 45,
            "the issuance path for one document (QR code and glyph check included)",
        ),
        Row(
            "render + sign both PDFs of an issuance (certificate and key notice), warm p50",
            "≤ 90 ms CPU",
            summary(both_ms),
            "",
            median(both_ms) <= 90,
            "one render_documents call, two signatures",
        ),
        Row(
            "signed certificate PDF size",
            "—",
            f"{median([float(s) for s in sizes]) / 1000:.1f} KB",
            "",
            None,
            "the unsigned PDF plus the CMS (8 KB reserved, hex-encoded), DSS and signature field",
        ),
    ]


def run(quick: bool) -> list[Row]:
    return warm(10 if quick else 30)


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    rows = run("--quick" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
    else:
        from bench.report import table

        print(table(rows))
