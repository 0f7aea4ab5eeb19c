"""store/tsa.py: a TSA over HTTP (RFC 3161), and its revocation data fetched once per container.

A loopback HTTP server plays the stage's TSA (the local responder behind POST /tsa) and the CRL
distribution point its certificate names (GET /api/signing/crl): a PDF signed against it embeds
the TSA's CRL, validates, and a second PDF fetches nothing again.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import tsp

from chalicelib.domain import certificate, pki
from chalicelib.render import pdf
from chalicelib.services import signing
from chalicelib.store import signer, tsa
from tests import pdfs


@pytest.fixture
def stage_tsa(tmp_path, monkeypatch):
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            return

        def _answer(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            hits.append("tsa")
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            self._answer(tsa.local(signer.material()).respond(request).dump(), "application/timestamp-reply")

        def do_GET(self) -> None:  # noqa: N802
            hits.append("crl")
            self._answer(signer.material().crl, "application/pkix-crl")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SIGNING_LOCAL_DIR", str(tmp_path / "signing-local"))
    monkeypatch.setenv("PUBLIC_BASE_URL", base)  # the new local chain's CRL distribution point
    monkeypatch.setenv("SIGNING_TSA_URL", f"{base}/tsa")
    yield hits
    server.shutdown()
    tsa._remote.clear()


def test_a_pdf_timestamped_over_http_embeds_the_tsas_crl_fetched_once(stage_tsa):
    c = pdfs.certificate_content()
    drawn = pdf.render_documents(c, certificate.sha256(c), None).certificate
    ref = signing.DocumentRef("certificate", c["number"], 1)
    signed = signing.sign(drawn, ref)
    report = pdfs.signature_report(signed, pki.pem(signer.material().root))
    assert report["bottom_line"] and report["timestamped"] and report["dss_crls"] >= 1, report
    fetched = stage_tsa.count("crl")
    assert fetched >= 1 and stage_tsa.count("tsa") >= 2  # the first token (its chain) and the signature's
    signing.sign(drawn, ref)
    assert stage_tsa.count("crl") == fetched  # kept until the CRL's nextUpdate
