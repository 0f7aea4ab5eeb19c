"""The PDFs of a certificate version: uploaded `pending`, released once the data commits.

Every write that references new PDFs (issuance, a 訂正/変更/取消, a key
reissue) follows the same sequence, and it lives here once:

    with documents.pending() as docs:
        upload = docs.version(content, sha, auth_key)   # rendered, uploaded tagged `pending`
        ...write the rows that reference upload.pdf_key in one transaction...
    # left normally: every upload is released (untagged) and what `docs.retire()`
    # named is deleted; left by an exception: every upload is deleted.

An object still tagged `pending` is expired by the bucket's lifecycle rule, so
whatever a crash leaves behind is invisible and temporary (DESIGN.md §2).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chalicelib import logs
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.store import objects

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

    def _put(self, prefix: str, data: bytes) -> str:
        key = objects.new_key(prefix)
        objects.put_pending(key, data)
        self.uploaded.append(key)  # at once, so a later failure discards exactly what exists
        return key

    def version(self, content: dict[str, Any], sha: str, auth_key: str | None) -> Upload:
        """Render and upload a version's PDFs (a key notice only when there is a key)."""
        from chalicelib.render import pdf

        try:
            docs = pdf.render_documents(content, sha, auth_key)
        except pdf.UnsupportedCharacters as exc:
            chars = "、".join(exc.chars)
            raise ValidationFailed(
                [FieldError("project_name", f"証書に印字できない文字が含まれています: {chars}")]
            ) from None
        pdf_key = self._put("certificates", docs.certificate)
        notice_key = self._put("key-notices", docs.key_notice) if docs.key_notice is not None else None
        return Upload(pdf_key, notice_key)

    def key_notice(self, content: dict[str, Any], sha: str, auth_key: str) -> str:
        """Render and upload only a key notice (for a reissued key)."""
        from chalicelib.render import pdf

        return self._put("key-notices", pdf.render_key_notice(content, sha, auth_key))

    def retire(self, key: str | None) -> None:
        """Delete `key` once the block commits (e.g. a notice carrying a key that no longer works)."""
        if key:
            self.retired.append(key)


@contextmanager
def pending() -> Iterator[Pending]:
    """Upload inside the block; release on success, discard on any failure (see module doc)."""
    docs = Pending()
    try:
        yield docs
    except BaseException:
        discard(docs.uploaded)
        raise
    release(docs.uploaded)
    discard(docs.retired)


def discard(keys: list[str]) -> None:
    """Best effort: whatever is left is still tagged pending and expires by lifecycle."""
    for key in keys:
        try:
            objects.discard(key)
        except Exception as exc:  # noqa: BLE001 - never mask the original failure
            logs.warning("pdf_discard_failed", error=type(exc).__name__)


def release(keys: list[str]) -> None:
    """Untag after commit. Retried: an object left `pending` would be expired by the lifecycle rule."""
    for key in keys:
        for attempt in range(RELEASE_ATTEMPTS):
            try:
                objects.release(key)
                break
            except Exception as exc:  # noqa: BLE001
                logs.error("pdf_release_failed", attempt=attempt + 1, error=type(exc).__name__)
                time.sleep(0.05 * (attempt + 1))
