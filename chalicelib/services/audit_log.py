"""Reading the audit trail (API.md "Audit"): staff see their branch's records, admins all;
the same records as a page and as a CSV export (domain/audit_csv.py)."""

from __future__ import annotations

import re
import unicodedata

from chalicelib.domain import audit_csv, labels
from chalicelib.domain.audit import AuditEntry
from chalicelib.store import audit

#: The most rows one export holds (a branch's trail is read page by page up to this).
MAX_EXPORT_ROWS = 5000
PAGE = 100


def _number(raw: str) -> str:
    """What a person types (full width, lower case, spaces) as a 保証契約番号."""
    text = unicodedata.normalize("NFKC", raw).strip().upper().replace("ー", "-")
    return re.sub(r"\s+", "", text)


def search(scope: str | None, number: str | None, actor: str | None, limit: int, cursor: str | None) -> dict:
    """`scope=None` reads every scope (admins)."""
    wanted = _number(number) if number else None
    found, next_cursor = audit.query(scope=scope, number=wanted, actor=actor or None, limit=limit, cursor=cursor)
    return {"items": [e.public() for e in found], "next_cursor": next_cursor}


def export(scope: str | None, number: str | None, actor: str | None) -> str:
    """Every record the filters select (newest first, at most MAX_EXPORT_ROWS) as CSV text."""
    wanted = _number(number) if number else None
    rows: list[AuditEntry] = []
    cursor: str | None = None
    while len(rows) < MAX_EXPORT_ROWS:
        found, cursor = audit.query(scope=scope, number=wanted, actor=actor or None, limit=PAGE, cursor=cursor)
        rows += found
        if cursor is None:
            break
    return audit_csv.to_csv(rows[:MAX_EXPORT_ROWS], labels.AUDIT_ACTION)
