"""Reading the audit trail (API.md "Audit"): staff see their branch's records, admins all."""

from __future__ import annotations

import re
import unicodedata

from chalicelib.store import audit


def _number(raw: str) -> str:
    """What a person types (full width, lower case, spaces) as a 保証契約番号."""
    text = unicodedata.normalize("NFKC", raw).strip().upper().replace("ー", "-")
    return re.sub(r"\s+", "", text)


def search(scope: str | None, number: str | None, actor: str | None, limit: int, cursor: str | None) -> dict:
    """`scope=None` reads every scope (admins)."""
    wanted = _number(number) if number else None
    found, next_cursor = audit.query(scope=scope, number=wanted, actor=actor or None, limit=limit, cursor=cursor)
    return {"items": [e.public() for e in found], "next_cursor": next_cursor}
