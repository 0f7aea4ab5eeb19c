"""POST /api/verify/pdf, the /verify/pdf page and the published chain (API.md "Signed PDFs").

No login: valid (with its number and version) / invalid (one byte changed) / absent (no signature,
not a PDF) / superseded (after a 変更) / cancelled (after a 取消); over 4 MB is a 413; the 31st
upload of a minute from one source a 429.
"""

from __future__ import annotations

import re

from asn1crypto import crl as asn1_crl
from asn1crypto import pem, x509

from chalicelib.handlers import page as page_module
from chalicelib.services import pdf_verify
from chalicelib.store import guarantees, objects
from tests import hostile, pdfs
from tests.forms import csrf_of, nonce_of
from tests.functional.conftest import body
from tests.journeys import post_version, requested_then_approved

PDF = {"Content-Type": "application/pdf", "Accept": "application/json"}


def verified(client, data: bytes) -> dict:
    resp = client.http.post("/api/verify/pdf", headers=PDF, body=data)
    assert resp.status_code == 200, resp.body
    return body(resp)


def pdf_of(number: str, version: int, attribute: str = "pdf_key") -> bytes:
    return objects.get(getattr(guarantees.version(number, version), attribute))


def test_an_issued_certificate_is_valid_and_one_changed_byte_is_invalid(client, issued):
    number = issued[0]["number"]
    answer = verified(client, pdf_of(number, 1))
    assert answer["signature"] == "valid" and answer["timestamped"] and answer["signed_at"]
    assert "東日本建設業保証株式会社" in answer["signed_by"]
    assert answer["document"] == {"number": number, "version": 1, "kind": "certificate"}
    assert answer["status"] == "valid"
    notice = verified(client, pdf_of(number, 1, "key_notice_key"))
    assert notice["document"]["kind"] == "key_notice" and notice["status"] == "valid"
    changed = verified(client, pdfs.flipped(pdf_of(number, 1)))
    assert changed["signature"] == "invalid" and changed["document"] is None and changed["status"] == "unknown"


def test_an_unsigned_pdf_and_what_is_not_a_pdf_answer_absent(client):
    for data in (b"%PDF-1.4\n%%EOF\n", b"hello", hostile.pdf_xref_loop(), hostile.pdf_deep_nesting()):
        answer = verified(client, data)
        assert answer == {
            "signature": "absent", "signed_by": None, "signed_at": None, "timestamped": False,
            "document": None, "status": "unknown",
        }  # fmt: skip


def test_an_older_version_is_superseded_after_a_change_and_the_last_cancelled(client, tokens, issued):
    number = issued[0]["number"]
    change = {"kind": "change", "changes": {"guarantee_amount": 18000000}, "reason": "減額"}
    assert post_version(client, tokens, number, change).status_code == 201
    assert verified(client, pdf_of(number, 1))["status"] == "superseded"
    assert verified(client, pdf_of(number, 2))["status"] == "valid"
    asked = post_version(client, tokens, number, {"kind": "cancellation", "reason": "契約解除"})
    assert requested_then_approved(client, tokens, asked).status_code == 201
    cancelled = verified(client, pdf_of(number, 3))
    assert cancelled["document"]["version"] == 3 and cancelled["status"] == "cancelled"
    assert verified(client, pdf_of(number, 2))["status"] == "superseded"


def test_over_4_mb_is_413_and_the_31st_upload_of_a_minute_is_429(client):
    big = client.http.post("/api/verify/pdf", headers=PDF, body=b"%PDF-" + b"0" * (4 * 1024 * 1024))
    assert big.status_code == 413
    answers = [client.http.post("/api/verify/pdf", headers=PDF, body=b"x").status_code for _ in range(31)]
    assert answers[:29] == [200] * 29 and answers[-1] == 429  # the 413 counted too: 30 a minute


BOUNDARY = "verifypdf"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def page_form(token: str, data: bytes) -> bytes:
    """The /verify/pdf form as a browser posts it: the CSRF field, then the file."""
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
    head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="pdf_file"; filename="c.pdf"\r\n'
    head += "Content-Type: application/pdf\r\n\r\n"
    return head.encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def test_the_page_takes_an_upload_as_large_as_the_api_and_refuses_a_larger_one(client):
    page = client.http.get("/verify/pdf")
    token, nonce = csrf_of(page.body.decode()), nonce_of(page)
    with_nonce = {**MULTIPART, "Cookie": f"esurety_login={nonce}"}
    limit = pdf_verify.MAX_BYTES
    taken = client.http.post("/verify/pdf", headers=with_nonce, body=page_form(token, b"x" * (limit - 1)))
    assert taken.status_code == 200 and "電子署名がありません" in taken.body.decode()  # read, and answered
    # a file over 4 MB in a form within the page's bound: the form again, with the reason
    over = client.http.post("/verify/pdf", headers=with_nonce, body=page_form(token, b"x" * (limit + 1)))
    assert over.status_code == 413 and "4 MB までです" in over.body.decode()
    # a form over the bound is refused before its nonce is looked at, and a bounded one without a
    # nonce before it is parsed
    huge = page_form(token, b"x" * (limit + page_module.MULTIPART_OVERHEAD))
    refused = client.http.post("/verify/pdf", headers=MULTIPART, body=huge)
    assert refused.status_code == 413 and "大きすぎます" in refused.body.decode()
    unchecked = client.http.post("/verify/pdf", headers=MULTIPART, body=page_form(token, b"x" * (limit - 1)))
    assert unchecked.status_code == 403


def test_the_page_takes_an_upload_and_shows_the_verdict(client, issued):
    number = issued[0]["number"]
    page = client.http.get("/verify/pdf")
    assert page.status_code == 200 and 'type="file"' in page.body.decode()
    token, nonce = csrf_of(page.body.decode()), nonce_of(page)
    form = page_form(token, pdf_of(number, 1))
    refused = client.http.post("/verify/pdf", headers=MULTIPART, body=form)  # no nonce cookie: refused
    assert refused.status_code == 403 and "有効期限" in refused.body.decode()
    shown = client.http.post("/verify/pdf", headers={**MULTIPART, "Cookie": f"esurety_login={nonce}"}, body=form)
    html = shown.body.decode()
    assert shown.status_code == 200 and "有効 (当社の電子署名があり" in html and number in html
    assert "現在有効な版です" in html


def test_the_published_chain_and_crl_are_what_signed_pdfs_carry(client, issued):
    published = body(client.http.get("/api/signing/certificate"))
    chain = [x509.Certificate.load(pem.unarmor(c.encode())[2]) for c in published["certificates"]]
    assert chain[-1].self_signed == "maybe" and re.fullmatch(r"[0-9a-f]{64}", published["sha256_fingerprint"])
    import hashlib

    assert hashlib.sha256(chain[-1].dump()).hexdigest() == published["sha256_fingerprint"]
    resp = client.http.get("/api/signing/crl", headers={"Accept": "application/pkix-crl"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pkix-crl"
    crl = asn1_crl.CertificateList.load(resp.body)
    assert crl.issuer == chain[-1].subject and not crl["tbs_cert_list"]["revoked_certificates"]
    leaf_points = chain[0].crl_distribution_points[0]["distribution_point"].native
    assert leaf_points[0].endswith("/api/signing/crl")
    report = pdfs.signature_report(pdf_of(issued[0]["number"], 1), published["certificates"][-1])
    assert report["bottom_line"]
