"""The PDFs of a certificate version: uploaded `pending`, released once the data commits.

Every write that references new PDFs (issuance, a 訂正/変更/取消, a key
reissue) follows the same sequence, and it lives here once:

    with documents.pending() as docs:
        upload = docs.version(content, sha, auth_key)   # rendered, uploaded tagged `pending`
        docs.committed_if(lambda: ...)                  # how to tell, later, that the write landed
        ...write the rows that reference upload.pdf_key in one transaction (the block's last step)...
    # left normally: every upload is released (untagged) and what `docs.retire()`
    # named is deleted.

Left by an exception, the outcome decides, not the exception: a refused
condition (ConditionFailed, a domain error) wrote nothing, so the uploads are
deleted. Anything else — a timeout, a lost reply, a dropped connection — may
have come after the commit, so the probe given to `committed_if` reads the
record back: committed → the objects are released and the block counts as
done (the exception is swallowed: the write happened); not committed → deleted;
cannot tell (the store is still down) → left `pending` for the reconciler
(services/reconcile.py), which releases what a record references and deletes
what none does. Every object carries its number and version in its metadata
so the reconciler can tell. An object still tagged `pending` and never
reconciled is expired by the bucket's lifecycle rule (DESIGN.md §2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chalicelib import logs
from chalicelib.domain import reservation
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.render import pdf, pdf_reservation
from chalicelib.services import signing
from chalicelib.store import faults, objects

RELEASE_ATTEMPTS = 3


@dataclass(frozen=True)
class Upload:
    """The PDFs of one version: the certificate and, for an electronic guarantee, the key notice."""

    pdf_key: str
    key_notice_key: str | None


@dataclass
class Pending:
    """The objects uploaded inside one `pending()` block, and those it makes obsolete."""

    uploaded: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    probe: Callable[[], bool] | None = None

    def _put(self, prefix: str, data: bytes, content: dict[str, Any], document: str) -> str:
        key = objects.new_key(prefix)
        owner = {
            "number": str(content.get("number", "")),
            "version": str(content.get("version", "")),
            "document": document,
        }
        objects.put_pending(key, data, owner=owner)
        self.uploaded.append(key)  # at once, so a later failure discards exactly what exists
        return key

    def committed_if(self, probe: Callable[[], bool]) -> None:
        """How to read back, after an ambiguous failure, whether the block's write committed."""
        self.probe = probe

    def version(self, content: dict[str, Any], sha: str, auth_key: str | None) -> Upload:
        """Render and upload a version's PDFs (a key notice only when there is a key), each by its
        own renderer: a guarantee's certificate, or a 契約保証予約証書 (issue 17)."""
        reserved = content.get("kind") == reservation.KIND
        started = time.perf_counter()
        try:
            if reserved:
                docs = pdf_reservation.render_reservation(content, sha, auth_key)
            else:
                docs = pdf.render_documents(content, sha, auth_key)
            logs.metric("PdfRenderTime", round((time.perf_counter() - started) * 1000, 1), "Milliseconds")
        except pdf.UnsupportedCharacters as exc:
            chars = "、".join(exc.chars)
            where = "project.name" if reserved else "project_name"  # a reservation's: its form's field
            raise ValidationFailed([FieldError(where, f"証書に印字できない文字が含まれています: {chars}")]) from None
        # Both signed before either is uploaded: a key or TSA that does not answer leaves nothing behind.
        certificate = sign(docs.certificate, content, "pdf_key")
        notice = sign(docs.key_notice, content, "key_notice_key") if docs.key_notice is not None else None
        pdf_key = self._put("certificates", certificate, content, "pdf_key")
        notice_key = self._put("key-notices", notice, content, "key_notice_key") if notice is not None else None
        return Upload(pdf_key, notice_key)

    def key_notice(self, content: dict[str, Any], sha: str, auth_key: str) -> str:
        """Render, sign and upload only a key notice (for a reissued key)."""
        data = sign(pdf.render_key_notice(content, sha, auth_key), content, "key_notice_key")
        return self._put("key-notices", data, content, "key_notice_key")

    def retire(self, key: str | None) -> None:
        """Delete `key` once the block commits (e.g. a notice carrying a key that no longer works)."""
        if key:
            self.retired.append(key)


def document_ref(content: dict[str, Any], attribute: str) -> signing.DocumentRef:
    """What a version's PDF is, as its signature names it (API.md `document.kind`)."""
    if attribute == "key_notice_key":
        kind = "key_notice"
    else:
        kind = "reservation_certificate" if content.get("kind") == reservation.KIND else "certificate"
    return signing.DocumentRef(kind, str(content["number"]), int(content["version"]))


def sign(data: bytes, content: dict[str, Any], attribute: str) -> bytes:
    """A version's PDF signed where it is made (issuance, versions, reissue, re-render)."""
    return signing.sign(data, document_ref(content, attribute))


@contextmanager
def pending() -> Iterator[Pending]:
    """Upload inside the block; release on success; on failure decide from the outcome (module doc)."""
    docs = Pending()
    try:
        yield docs
    except BaseException as exc:
        if not docs.uploaded:
            raise
        # Even a refused condition is read back: a retried request whose first try committed
        # is refused by its own write, and only the record can tell (our object keys are unique).
        outcome = _outcome(docs)
        if outcome is True:
            logs.warning("commit_outcome_read_back", committed=True, error=type(exc).__name__)
            release(docs.uploaded)
            discard(docs.retired)
            return  # the write landed: the block is done, whatever the reply said
        if outcome is False:
            discard(docs.uploaded)
        else:
            logs.error("commit_outcome_unknown", error=type(exc).__name__, objects=len(docs.uploaded))
        raise
    release(docs.uploaded)
    discard(docs.retired)


def _outcome(docs: Pending) -> bool | None:
    """True / False when the probe could read the record back; None when it could not."""
    if docs.probe is None:
        return False
    try:
        return bool(docs.probe())
    except Exception:  # noqa: BLE001 - the store is still failing: leave it to the reconciler
        return None


def discard(keys: list[str]) -> None:
    """Best effort: whatever is left is still tagged pending and expires by lifecycle."""
    for key in keys:
        try:
            objects.discard(key)
        except Exception as exc:  # noqa: BLE001 - never mask the original failure
            logs.warning("pdf_discard_failed", error=type(exc).__name__)


def release(keys: list[str]) -> None:
    """Untag after commit. Retried; what still fails stays `pending` for the reconciler,
    which releases it because a record references it (never the lifecycle rule)."""
    for key in keys:
        for attempt in range(RELEASE_ATTEMPTS):
            try:
                faults.inject("release")
                objects.release(key)
                break
            except Exception as exc:  # noqa: BLE001
                logs.error("pdf_release_failed", attempt=attempt + 1, error=type(exc).__name__)
                time.sleep(0.05 * (attempt + 1))


def restore(version: Any, attribute: str, auth_key: str | None) -> None:
    """Re-render a lost object from the version's stored content, under the key the record
    already names, so a download never becomes a broken link (the content is as issued)."""
    key = getattr(version, attribute)
    if attribute == "key_notice_key" and not auth_key:
        return
    if version.content.get("kind") == reservation.KIND:
        # Issue 17: a 契約保証予約証書 (and its key notice) is drawn by its own renderer.
        drawn = pdf_reservation.render_reservation(version.content, version.sha256, auth_key)
        data = drawn.key_notice if attribute == "key_notice_key" else drawn.certificate
        if data is None:
            return
    elif attribute == "key_notice_key":
        data = pdf.render_key_notice(version.content, version.sha256, auth_key)
    else:
        data = pdf.render_documents(version.content, version.sha256, None).certificate
    data = sign(data, version.content, attribute)
    owner = {"number": version.number, "version": str(version.version), "document": attribute}
    objects.put_released(key, data, owner=owner)
    logs.warning("pdf_restored", document=attribute)
