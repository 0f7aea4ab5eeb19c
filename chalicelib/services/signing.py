"""Sign every PDF the system issues: PAdES B-LT with pyHanko (API.md "Signed PDFs").

One call, `sign(data, ref)`, used where PDFs are made (services/documents.py for the
certificate, key notice and 予約証書 at issuance, versions, reissue and re-render;
services/fee_statements.py for the 保証料計算書):

- the CMS signature by the stage's `Signer` (store/signer.py: KMS, or the local key),
  ECDSA P-256 / SHA-256, `bytes_reserved` set so pyHanko signs once;
- an RFC 3161 timestamp of the signature (store/tsa.py);
- the chain (signing certificate, CA, TSA certificate) and the CA's CRL in the document's DSS,
  in the same revision as the signature (B-LT without a second revision to write);
- the visible block drawn by fpdf2 in the page (render/pdf.py `_finish`: issuer, time,
  改ざん検出), with the widget over it and no appearance of pyHanko's own (its default
  stamp draws a non-embedded Courier);
- the document's identity (`e-surety:<kind>:<number>:<version>`) in the Info keywords of the
  signed revision, which is how /verify/pdf names what it was handed.

The stored content hash is the content's, not the file's: it does not change.
pyHanko is imported here inside functions (`import app` never loads it).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Any

from chalicelib import event_loops, logs, settings
from chalicelib.domain import labels, pki, signed_pdfs
from chalicelib.domain.errors import FieldError, Unavailable

#: The signature field's name in every PDF we sign.
FIELD = "e-Surety"
KEYWORD_PREFIX = "e-surety:"
#: Room for the CMS: signature, certificates and the timestamp token (~3.3 KB with EC P-256).
BYTES_RESERVED = 8192
#: The EMF metrics of signing (logs.metric, dimensioned by Stage): CPU per PDF, and writes refused
#: because KMS or the TSA did not answer (the template's SignFailuresAlarm watches the second).
TIME_METRIC = "PdfSignTime"
FAILURE_METRIC = "PdfSignFailures"
KINDS = signed_pdfs.DOCUMENT_KINDS
KIND_LABELS = labels.PDF_KIND  # the kinds in words (domain/labels.py, as every label)


@dataclass(frozen=True)
class DocumentRef:
    """What a signed PDF is: its kind, number (a fee statement's: the 申込番号 or reservation id)
    and version (None for a fee statement)."""

    kind: str
    number: str
    version: int | None

    def keyword(self) -> str:
        return f"{KEYWORD_PREFIX}{self.kind}:{self.number}:{'' if self.version is None else self.version}"

    @classmethod
    def parse(cls, keyword: str) -> DocumentRef | None:
        if not keyword.startswith(KEYWORD_PREFIX):
            return None
        parts = keyword[len(KEYWORD_PREFIX) :].split(":")
        if len(parts) != 3 or parts[0] not in KINDS or not parts[1]:
            return None
        version = parts[2]
        if version and not version.isdigit():
            return None
        return cls(parts[0], parts[1], int(version) if version else None)


class _Adapter:
    """pyHanko's Signer over our `Signer` (built lazily: pyHanko is imported on first use)."""

    _cls: Any = None

    @classmethod
    def make(cls, key: Any, chain: tuple[bytes, ...]) -> Any:
        if cls._cls is None:
            from asn1crypto import algos, x509
            from pyhanko.sign.signers.pdf_cms import Signer
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            class KeySigner(Signer):
                def __init__(self, key: Any, chain: tuple[bytes, ...]) -> None:
                    certs = [x509.Certificate.load(c) for c in chain]
                    super().__init__(
                        signing_cert=certs[0],
                        cert_registry=SimpleCertificateStore.from_certs(certs[1:]),
                        signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                        embed_roots=True,
                    )
                    self._key = key

                async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
                    if dry_run:
                        return bytes(72)  # the longest DER ECDSA P-256 signature
                    return self._key.sign(data)

            cls._cls = KeySigner
        return cls._cls(key, chain)


_contexts: dict[int, Any] = {}


def _context() -> Any:
    """(material, pyHanko signer, DSS contents, TSA URL, timestamper), built once per material (per process)."""
    from chalicelib.store import signer

    material = signer.material()
    ctx = _contexts.get(id(material))
    url = settings.current().signing_tsa_url
    if ctx is None or ctx[0] is not material or ctx[4] != url:
        ctx = _built_context(material, url)
        _contexts.clear()
        _contexts[id(material)] = ctx
    return ctx


def _built_context(material: Any, url: str | None) -> Any:
    from chalicelib.store import tsa

    certs = (*material.chain, *([material.tsa_cert] if material.tsa_cert else []), *material.tsa_roots)
    crls = tuple(dict.fromkeys((material.crl, *material.tsa_crls)))
    signer_key = _Adapter.make(material.signer, material.chain)
    return (material, signer_key, tuple(dict.fromkeys(certs)), crls, url, tsa.timestamper(material, url))


def prepare() -> None:
    """What the first signature of a process would build, built now (the warm-up,
    services/warmup.py): the material and the key's client (store/signer.py), pyHanko's signer
    over it, the timestamper, and a remote TSA's certificates and CRLs (kept until their
    nextUpdate, as `_sign` keeps them)."""
    from chalicelib.store import signer, tsa

    signer.prepare()
    _material, _key, _certs, _crls, url, timestamper = _context()
    if url:
        tsa.remote_validation_data(url, timestamper)


def rehearse(sample: bytes) -> None:
    """Sign `sample` once with a throwaway chain and the local TSA, and drop the result: the
    first-use work of pyHanko and asn1crypto (their structures' set-up, lazy imports; ~6 ms of
    the first signature) is done by the warm-up, without the stage's key or the network."""
    from chalicelib.store import signer

    _sign_with(sample, DocumentRef("certificate", "rehearsal", None), _built_context(signer.throwaway_material(), None))


def sign(data: bytes, ref: DocumentRef) -> bytes:
    """The PDF signed (PAdES B-LT). Raises Unavailable (503) when the key or the TSA does not answer."""
    started = time.process_time()
    try:
        out = _sign(data, ref)
    except Exception as exc:
        if not _unavailable(exc):
            raise
        logs.error("pdf_sign_failed", kind=ref.kind, error=type(exc).__name__)
        logs.metric(FAILURE_METRIC)
        raise Unavailable(
            [FieldError("", "電子署名を付けられませんでした。しばらくしてから再度お試しください。")]
        ) from exc
    logs.metric(TIME_METRIC, round((time.process_time() - started) * 1000, 1), "Milliseconds")
    return out


def _unavailable(exc: BaseException) -> bool:
    from chalicelib import aws_faults
    from chalicelib.store.tsa import TsaUnavailable

    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 16:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        if isinstance(e, TsaUnavailable) or aws_faults.unavailable(e):
            return True
        todo.extend([e.__cause__, e.__context__])
    return False


def _sign(data: bytes, ref: DocumentRef) -> bytes:
    return _sign_with(data, ref, _context())


def _sign_with(data: bytes, ref: DocumentRef, context: Any) -> bytes:
    from asn1crypto import crl, x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.stamp.noop import NoOpStampStyle

    from chalicelib.store import tsa

    _material, pdf_signer_key, certs, crls, url, timestamper = context
    if url:  # a remote TSA: its chain and CRLs, fetched once per container until their nextUpdate
        tsa_certs, tsa_crls = tsa.remote_validation_data(url, timestamper)
        certs, crls = tuple(dict.fromkeys((*certs, *tsa_certs))), tuple(dict.fromkeys((*crls, *tsa_crls)))
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.document_meta.keywords = [ref.keyword()]
    # Loaded afresh from DER for each document (asn1crypto values reused across documents re-encode).
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, certs=[x509.Certificate.load(c) for c in certs], crls=[crl.CertificateList.load(c) for c in crls]
    )
    box = getattr(data, "box", None)
    spec = fields.SigFieldSpec(FIELD, on_page=box[0], box=box[1]) if box else fields.SigFieldSpec(FIELD)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"{KIND_LABELS[ref.kind]}の発行 (改ざん検出のための電子署名)",
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=pdf_signer_key, timestamper=timestamper, stamp_style=NoOpStampStyle(),
        new_field_spec=spec,
    )  # fmt: skip
    out = io.BytesIO()
    event_loops.outside_running_loop(pdf_signer.sign_pdf, writer, output=out, bytes_reserved=BYTES_RESERVED)
    return out.getvalue()


def certificates() -> dict[str, Any]:
    """GET /api/signing/certificate: the chain that signs, leaf first, and the root's fingerprint."""
    from chalicelib.store import signer

    material = signer.material()
    return {
        "certificates": [pki.pem(c) for c in material.chain],
        "sha256_fingerprint": pki.fingerprint(material.root),
    }


def crl() -> bytes:
    """GET /api/signing/crl: the CA's current CRL (DER)."""
    from chalicelib.store import signer

    return signer.crl()


def reissue_crl() -> bool:
    """For the daily job: re-issue the CA's CRL when due, i.e. when its nextUpdate is at most
    `signer.CRL_REISSUE_BEFORE` (2 days) away — a deployed stage's in the bucket, signed by the CA
    key in KMS; the local stage's (the local CA's, per process) when no KMS key is set. True when
    a new CRL was issued."""
    from chalicelib.store import signer

    s = settings.current()
    if s.signing_ca_key_id:
        return signer.reissue_stage_crl(only_if_due=True, say=lambda _line: None)
    if s.is_local and not s.signing_key_id:
        return signer.reissue_local_crl()
    return False
