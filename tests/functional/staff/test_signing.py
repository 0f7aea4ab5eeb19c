"""Every PDF the system issues is signed (PAdES B-LT) where it is made: services/signing.py.

Each PDF is validated with pyHanko's validator against the chain GET /api/signing/certificate
publishes, with only the revocation data the PDF embeds: intact, trusted, PAdES, timestamped,
the whole file covered; one byte flipped is not intact. A KMS-signed PDF (moto's KMS, whose
Sign is real ECDSA) and the stage chain `bin/stage up` makes validate the same way. A TSA that
does not answer makes the write 503 with Retry-After and issue nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import urllib.parse

import boto3
import pytest

from chalicelib import settings
from chalicelib.domain import pki
from chalicelib.store import applications, guarantees, objects, signer
from tests import pdfs, tables
from tests.conftest import ROOT
from tests.factories import make_application
from tests.functional.conftest import bearer, body
from tests.journeys import JSON, issue, issued_reservation, submit


def published_root(client) -> str:
    chain = body(client.http.get("/api/signing/certificate"))["certificates"]
    return chain[-1]


def fee_statement(client, tokens) -> tuple[str, bytes]:
    app = submit(client, tokens)
    resp = client.http.get(f"/api/applications/{app['id']}/fee-statement.pdf", headers=bearer(tokens["contractor"]))
    assert resp.status_code == 302
    key = re.search(r"/(fee-statements/[0-9a-f]+\.pdf)", urllib.parse.urlsplit(resp.headers["Location"]).path)
    return app["id"], objects.get(key.group(1))


def assert_signed(data: bytes, root: str, keyword: str, tsa_root: str | None = None) -> None:
    report = pdfs.signature_report(data, root, tsa_root)
    assert report["signed"] and report["intact"] and report["trusted"] and report["bottom_line"], report
    assert report["whole_file"] and report["pades"] and report["timestamped"], report
    assert report["dss_certificates"] >= 3 and report["dss_crls"] >= 1, report  # B-LT: chain, TSA, CRL
    assert report["keywords"] == [keyword], report
    assert not pdfs.signature_report(pdfs.flipped(data), root, tsa_root)["intact"]


def test_every_kind_of_issued_pdf_validates_against_the_published_chain(client, tokens, issued):
    root = published_root(client)
    number = issued[0]["number"]
    v1 = guarantees.version(number, 1)
    assert_signed(objects.get(v1.pdf_key), root, f"e-surety:certificate:{number}:1")
    assert_signed(objects.get(v1.key_notice_key), root, f"e-surety:key_notice:{number}:1")
    _, issued_body = issued_reservation(client, tokens)
    r_number = issued_body["number"]
    reserved = guarantees.version(r_number, 1)
    assert_signed(objects.get(reserved.pdf_key), root, f"e-surety:reservation_certificate:{r_number}:1")
    app_id, statement = fee_statement(client, tokens)
    assert_signed(statement, root, f"e-surety:fee_statement:{app_id}:")


def test_a_lost_pdf_is_re_rendered_signed_and_every_font_stays_embedded(client, tokens, issued):
    number = issued[0]["number"]
    key = guarantees.version(number, 1).pdf_key
    boto3.client("s3").delete_object(Bucket=settings.current().bucket, Key=key)
    resp = client.http.get(f"/api/guarantees/{number}/certificate.pdf", headers=bearer(tokens["contractor"]))
    assert resp.status_code == 302
    restored = objects.get(key)
    assert_signed(restored, published_root(client), f"e-surety:certificate:{number}:1")
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    fonts = subprocess.run(["pdffonts", "-"], input=restored, capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row.split("Identity-H")[-1] or " yes yes " in row for row in rows), fonts


def test_a_tsa_that_does_not_answer_makes_issuance_503_and_issues_nothing(client, tokens, monkeypatch):
    app_id = make_application().application_id
    before = tables.count("guarantees")
    monkeypatch.setenv("ESURETY_FAULTS", "tsa=1")
    resp = issue(client, tokens, app_id)
    assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit(), resp.body
    assert applications.get(app_id).status == "submitted"
    assert tables.count("guarantees") == before
    listed = boto3.client("s3").list_objects_v2(Bucket=settings.current().bucket, Prefix="certificates/")
    assert listed.get("KeyCount", 0) == 0
    monkeypatch.delenv("ESURETY_FAULTS")
    assert issue(client, tokens, app_id).status_code == 201  # once the TSA answers, the same write goes through


@pytest.fixture
def kms_stage(monkeypatch):
    """Two KMS keys (moto): the signing key and the stage CA's; the chain made as `bin/stage up` makes it."""
    kms = boto3.client("kms")
    ids = [
        kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description=what)["KeyMetadata"]["KeyId"]
        for what in ("pdf signing", "stage ca")
    ]
    monkeypatch.setenv("SIGNING_KEY_ID", ids[0])
    monkeypatch.setenv("SIGNING_CA_KEY_ID", ids[1])
    signer.forget()
    said: list[str] = []
    assert signer.ensure_stage_chain(say=said.append) is True
    assert signer.ensure_stage_chain(say=said.append) is False  # once: a second run keeps the chain
    yield ids
    signer.forget()


def test_a_pdf_signed_by_the_kms_key_under_the_stage_chain_validates(client, tokens, kms_stage, monkeypatch):
    app_id = make_application().application_id
    monkeypatch.setenv("ESURETY_FAULTS", "sign=1")  # KMS does not answer: 503, nothing issued
    refused = issue(client, tokens, app_id)
    assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
    assert applications.get(app_id).status == "submitted"
    monkeypatch.delenv("ESURETY_FAULTS")
    root = published_root(client)
    ca = boto3.client("kms").get_public_key(KeyId=kms_stage[1])["PublicKey"]
    from asn1crypto import pem, x509

    assert x509.Certificate.load(pem.unarmor(root.encode())[2]).public_key.dump() == ca  # the CA key is KMS's
    number = issue(client, tokens, app_id)
    assert number.status_code == 201, number.body
    first = body(number)["guarantees"][0]["number"]
    local_tsa_root = pki.pem(signer.material().tsa_roots[0])  # the local TSA stamps in the local stage
    pdf = objects.get(guarantees.version(first, 1).pdf_key)
    assert_signed(pdf, root, f"e-surety:certificate:{first}:1", local_tsa_root)


def served_crl(client) -> bytes:
    resp = client.http.get("/api/signing/crl", headers={"Accept": "application/pkix-crl"})
    assert resp.status_code == 200, resp.body
    return resp.body


def _crl(der: bytes) -> tuple[int, dt.datetime]:
    from asn1crypto import crl

    return crl.CertificateList.load(der).crl_number_value.native, pki.next_update(der)


def test_the_daily_job_as_lambda_runs_it_reissues_a_due_crl_that_validates_against_the_chain(
    client, kms_stage, monkeypatch
):
    from cryptography import x509

    from devstack.sweeper import scheduled_event

    real_now = signer._now
    monkeypatch.setattr(signer, "_now", lambda: real_now() - dt.timedelta(days=6))
    assert signer.reissue_stage_crl(say=lambda _line: None) is True  # issued six days ago: runs out tomorrow
    monkeypatch.setattr(signer, "_now", real_now)
    old = objects.get(signer.CRL_KEY)
    ran = client.lambda_.invoke("daily_reminders", scheduled_event()).payload
    assert ran["crl_reissued"] is True, ran
    new = objects.get(signer.CRL_KEY)
    (old_number, old_next), (new_number, new_next) = _crl(old), _crl(new)
    assert new_number > old_number and new_next - old_next > dt.timedelta(days=5)
    ca = x509.load_der_x509_certificate(pki.from_pem(objects.get(signer.CHAIN_KEY).decode())[-1])
    issued = x509.load_der_x509_crl(new)
    assert issued.is_signature_valid(ca.public_key()) and issued.issuer == ca.subject  # the KMS CA key signed it
    assert served_crl(client) == new  # what the certificates' CRL point now serves
    assert client.lambda_.invoke("daily_reminders", scheduled_event()).payload["crl_reissued"] is False  # not due


def test_the_local_daily_job_reissues_the_local_cas_crl_when_due(client, monkeypatch):
    real_now = signer._now
    signer.forget()
    before = served_crl(client)
    try:
        assert body(client.http.post("/api/dev/daily", headers=JSON, body="{}")) == {"reminders": 0}
        assert served_crl(client) == before  # days from its nextUpdate: kept
        monkeypatch.setattr(signer, "_now", lambda: real_now() + dt.timedelta(days=5, hours=12))
        assert client.http.post("/api/dev/daily", headers=JSON, body="{}").status_code == 200
        after = served_crl(client)
        assert _crl(after)[0] > _crl(before)[0] and _crl(after)[1] > _crl(before)[1]
    finally:
        signer.forget()  # the next test signs with a CRL of today


def test_the_tsa_roots_up_passes_are_added_to_those_kept_and_must_be_ca_certificates(client):
    """`bin/admin signing-chain --tsa-roots`: a new TSA's roots join the earlier ones (a PDF stamped
    by the earlier TSA must still verify); the same file again writes nothing; a leaf is refused."""
    digicert = (ROOT / "deploy" / "signing" / "digicert-tsa-roots.pem").read_text(encoding="ascii")
    ours = pki.pem(signer.material().root)
    said: list[str] = []
    try:
        assert signer.ensure_tsa_roots(digicert, dry_run=True, say=said.append) is False
        assert not objects.exists(signer.TSA_ROOTS_KEY) and "add 2 TSA trust roots" in said[-1]
        assert signer.ensure_tsa_roots(digicert, say=said.append) is True
        assert signer.ensure_tsa_roots(digicert, say=said.append) is False and "are in s3://" in said[-1]
        assert signer.ensure_tsa_roots(ours, say=said.append) is True
        kept = pki.from_pem(objects.get(signer.TSA_ROOTS_KEY).decode())
        assert kept == [*pki.from_pem(digicert), signer.material().root]
        with pytest.raises(ValueError, match="CA certificates"):
            signer.ensure_tsa_roots(pki.pem(signer.material().chain[0]), say=said.append)
        with pytest.raises(ValueError):
            signer.ensure_tsa_roots("not a PEM", say=said.append)
    finally:
        boto3.client("s3").delete_object(Bucket=settings.current().bucket, Key=signer.TSA_ROOTS_KEY)


def test_the_warm_up_builds_the_stage_signing_context_and_rehearses_without_the_stage_key(kms_stage, monkeypatch):
    """SnapStart's before-snapshot hook (services/warmup.py) pays the first signature's set-up: the
    stage's material and KMS client, pyHanko's signer over it, and a rehearsal signature that must
    never use the stage's key (a throwaway chain and the local TSA)."""
    from chalicelib.services import signing, warmup
    from chalicelib.store import connection

    kms_signs: list[str] = []
    real_sign = signer.KmsKey.sign
    monkeypatch.setattr(signer.KmsKey, "sign", lambda key, data: kms_signs.append(key.key_id) or real_sign(key, data))
    signing._contexts.clear()
    connection._kms.cache_clear()
    warmup.warm_up([])
    assert kms_signs == []  # the rehearsal signed with its throwaway key
    (context,) = signing._contexts.values()
    assert context[0] is signer.material() and isinstance(context[0].signer, signer.KmsKey)
    assert connection._kms.cache_info().currsize == 1  # the key's client is made
    from chalicelib.domain import certificate
    from chalicelib.render import pdf

    c = pdfs.certificate_content()
    drawn = pdf.render_documents(c, certificate.sha256(c), "Z28YUE4J3Bux").certificate
    signed = signing.sign(drawn, signing.DocumentRef("certificate", c["number"], c["version"]))
    assert kms_signs == [kms_stage[0]]  # the first real signature is the stage key's, through the built context
    assert next(iter(signing._contexts.values())) is context
    assert signed.startswith(b"%PDF-")


def test_a_warm_up_that_cannot_reach_the_stages_chain_goes_on_and_says_so(monkeypatch, capsys):
    """The before-snapshot hook must never stop a version from publishing: a bucket or TSA that does
    not answer at snapshot time leaves the first signature to build the context, as before."""
    from chalicelib.services import signing, warmup

    def unreachable() -> None:
        raise ConnectionError("no route to the bucket")

    monkeypatch.setattr(signing, "prepare", unreachable)
    signing._contexts.clear()
    capsys.readouterr()
    warmup.warm_up([])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    skipped = [line for line in lines if line["event"] == "warm_up_signing_skipped"]
    assert [(line["step"], line["error"]) for line in skipped] == [("context", "ConnectionError")]
    assert any(line["event"] == "warm_up" for line in lines)  # it finished
    assert signing._contexts == {}  # the rehearsal's context is never kept as the stage's
