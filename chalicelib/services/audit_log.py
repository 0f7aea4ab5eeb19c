"""Reading the audit trail (API.md "Audit"): staff see their branch's records, admins all;
the same records as a page and as a CSV export (domain/audit_csv.py)."""

from __future__ import annotations

from chalicelib.domain import audit_csv, labels, numbering
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.numbers import bad_number, normalise_number
from chalicelib.store import audit

#: The most rows one export holds (a branch's trail is read page by page up to this).
MAX_EXPORT_ROWS = 5000
PAGE = 100


_BAD_ACTOR = FieldError("actor", "操作者のログインIDに使えない文字が含まれています。")


def _number(raw: str) -> str:
    """What a person types (full width, lower case, spaces, dashes) as a 保証契約番号; a 400 on
    `number` when it is not one (issue 26: CR/LF was a 500 and `"` a second filename parameter
    in the CSV's download header: the filter is a number or nothing)."""
    text = normalise_number(raw)
    if not numbering.is_valid(text):
        raise ValidationFailed([bad_number()])
    return text


def filters(number: str | None, actor: str | None) -> tuple[str | None, str | None]:
    """The audit filters as the store reads them: a well-formed number, a printable actor; else a 400."""
    wanted = _number(number) if number else None
    if actor and not actor.isprintable():
        raise ValidationFailed([_BAD_ACTOR])
    return wanted, actor or None


def search(
    scope: str | None, number: str | None, actor: str | None, limit: int, cursor: str | None, *, restart: bool = False
) -> dict:
    """`scope=None` reads every scope (admins). The filters are validated once, first (a bad one is a
    400 on its field, never mistaken for a stale cursor); `restart` (the page) answers a stale or
    foreign cursor with the newest records instead of the API's 400 on `cursor`."""
    wanted, actor = filters(number, actor)
    try:
        found, next_cursor = audit.query(scope=scope, number=wanted, actor=actor, limit=limit, cursor=cursor)
    except ValidationFailed:
        if not (restart and cursor):
            raise
        found, next_cursor = audit.query(scope=scope, number=wanted, actor=actor, limit=limit, cursor=None)
    return {"items": [e.public() for e in found], "next_cursor": next_cursor}


def export(scope: str | None, number: str | None, actor: str | None) -> tuple[str, str]:
    """(download name, CSV text) of every record the filters select (newest first, at most
    MAX_EXPORT_ROWS). The name is built from the validated number only (ASCII letters, digits, "-")."""
    wanted, actor = filters(number, actor)
    rows: list[AuditEntry] = []
    cursor: str | None = None
    while len(rows) < MAX_EXPORT_ROWS:
        found, cursor = audit.query(scope=scope, number=wanted, actor=actor, limit=PAGE, cursor=cursor)
        rows += found
        if cursor is None:
            break
    return f"audit-{wanted or 'branch'}.csv", audit_csv.to_csv(rows[:MAX_EXPORT_ROWS], labels.AUDIT_ACTION)
