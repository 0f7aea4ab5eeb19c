"""POST /api/verify/pdf: is this PDF one we signed, unchanged, and is it still the current one?

Two steps (API.md "Signed PDFs"):
1. `inspect(data)` — the signature, with pyHanko's validator against our own chain and CRL
   (never the file's: a forged DSS proves nothing), the RFC 3161 timestamp, that the signature
   covers the whole file, and the document it names (`e-surety:<kind>:<number>:<version>` in
   the signed revision's Info keywords). An upload is hostile until proven otherwise, so this
   runs in a forked child with a memory ceiling and a deadline (`bounded`): a decompression
   bomb, an xref loop or objects nested thousands deep cost at most `DEADLINE_SECONDS` and
   `MEMORY_BYTES`, then answer `absent`. The child touches no AWS and writes nothing.
2. `status(ref, data)` — looked up here: superseded (a newer version; a key notice whose
   key was reissued since; a fee statement whose state moved on), cancelled, expired, used.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from chalicelib import logs
from chalicelib.domain import clock, labels, signed_pdfs
from chalicelib.domain import status as status_domain
from chalicelib.domain.errors import FieldError, TooManyAttempts
from chalicelib.services.signing import DocumentRef

MAX_BYTES = signed_pdfs.MAX_UPLOAD_BYTES
DEADLINE_SECONDS = 4.0
#: Address space the child may add to what the process already has mapped.
MEMORY_BYTES = 384 * 1024 * 1024

ABSENT = {"signature": "absent", "signed_by": None, "signed_at": None, "timestamped": False}
NO_FILE = FieldError("pdf_file", "確認する PDF ファイルを選んでください。", "required")
TOO_LARGE = FieldError("pdf_file", "PDF ファイルは 4 MB までです。", "too_large")
LIMITED = FieldError("", "確認の回数が多すぎます。しばらくしてから再度お試しください。", "locked")
LABELS = {"signature": labels.PDF_SIGNATURE, "kind": labels.PDF_KIND, "status": labels.PDF_STATUS}


def _source_policy() -> Any:
    from chalicelib.store import attempts

    return attempts.Policy(limit=30, window_seconds=60, lock_seconds=60)


def verify_counted(data: bytes, source: str | None) -> dict[str, Any]:
    """`verify`, counted against the caller's source first: 30 a minute (TooManyAttempts past it)."""
    from chalicelib.services.auth import source_id
    from chalicelib.store import attempts

    reservation = attempts.reserve([attempts.Counter(f"verify-pdf-source:{source_id(source)}", _source_policy())])
    if reservation.ticket is None:
        raise TooManyAttempts(reservation.retry_after, [LIMITED])
    return verify(data)


def verify(data: bytes) -> dict[str, Any]:
    """API.md's answer for an uploaded PDF (never raises on a hostile file)."""
    from chalicelib.store import signer

    signer.material()  # loaded here (S3 in a deployed stage), inherited by the child
    found = bounded(inspect, data) if data.startswith(b"%PDF-") else None
    answer: dict[str, Any] = {**ABSENT, "document": None, "status": "unknown"}
    if found is None:
        return answer
    answer.update({k: found[k] for k in ABSENT})
    ref = DocumentRef.parse(found.get("keyword") or "") if found["signature"] == "valid" else None
    if ref is not None:
        answer["document"] = {"number": ref.number, "version": ref.version, "kind": ref.kind}
        answer["status"] = status(ref, data)
    return answer


# -- the bounded child -------------------------------------------------------------------------


def bounded(fn: Callable[[bytes], dict[str, Any]], data: bytes) -> dict[str, Any] | None:
    """`fn(data)` in a forked child under a memory ceiling and a deadline; None if it failed,
    ran out of either, or answered something that is not JSON."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write the JSON answer, leave without cleanup
        os.close(read_end)
        code = 1
        try:
            _limit_memory()
            os.write(write_end, json.dumps(fn(data)).encode())
            code = 0
        except BaseException:  # noqa: BLE001, S110 - a hostile file: the parent answers `absent`
            pass
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        return _collect(pid, read_end)
    finally:
        os.close(read_end)


def _limit_memory() -> None:
    import resource

    with open("/proc/self/statm") as f:  # noqa: PTH123 - Linux: pages mapped now
        mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _collect(pid: int, fd: int) -> dict[str, Any] | None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        ready = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            logs.warning("pdf_verify_deadline")
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    _pid, code = os.waitpid(pid, 0)
    if code != 0:
        return None
    try:
        found = json.loads(b"".join(chunks))
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("signature") in ("valid", "invalid", "absent") else None


# -- what the child computes ------------------------------------------------------------------


def _trusted() -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Our root, the TSA's roots, the other certificates (chain, TSA's) and the CRLs we issued."""
    from asn1crypto import crl, x509

    from chalicelib.store import signer

    material = signer.material()
    load = x509.Certificate.load
    others = [load(c) for c in (*material.chain, *([material.tsa_cert] if material.tsa_cert else []))]
    crls = [crl.CertificateList.load(c) for c in dict.fromkeys((material.crl, *material.tsa_crls))]
    return [load(material.root)], [load(c) for c in material.tsa_roots], others, crls


def inspect(data: bytes) -> dict[str, Any]:
    """The signature's verdict, signer, timestamp and the document keyword (run in the child)."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return dict(ABSENT)
    signature = signatures[-1]
    roots, tsa_roots, certs, crls = _trusted()

    def context(trusted: list[Any]) -> Any:
        return ValidationContext(
            trust_roots=trusted, other_certs=certs, crls=crls, allow_fetching=False, revocation_mode="hard-fail"
        )

    verdict = validate_pdf_signature(
        signature, context(roots), ts_validation_context=context(tsa_roots or roots), skip_diff=True
    )
    timestamped = bool(verdict.timestamp_validity and verdict.timestamp_validity.valid)
    whole = verdict.coverage == SignatureCoverageLevel.ENTIRE_FILE
    valid = bool(verdict.bottom_line and whole and timestamped)
    keywords = reader.document_meta_view.keywords or []
    return {
        "signature": "valid" if valid else "invalid",
        "signed_by": verdict.signing_cert.subject.human_friendly if valid else None,
        "signed_at": verdict.timestamp_validity.timestamp.isoformat() if valid and timestamped else None,
        "timestamped": timestamped,
        "keyword": next((k for k in keywords if k.startswith("e-surety:")), None) if valid else None,
    }


# -- the status of the document it names -------------------------------------------------------


def status(ref: DocumentRef, data: bytes) -> str:
    """valid | superseded | cancelled | expired | used | unknown (API.md)."""
    if ref.kind == "fee_statement":
        from chalicelib.services import fee_statements

        return fee_statements.statement_status(ref.number, data)
    from chalicelib.store import guarantees, objects

    g = guarantees.get(ref.number)
    if g is None or ref.version is None or ref.version > g.latest_version:
        return "unknown"
    if ref.version < g.latest_version:
        return "superseded"
    if ref.kind == "key_notice":
        key = guarantees.latest_object(g.number, "key_notice_key")
        if key is None or not objects.exists(key) or objects.get(key) != data:
            return "superseded"  # its key was reissued since: the current notice is another file
    return status_domain.effective_status(g.status, g.deadline, clock.today())
