"""The audit trail as a CSV a branch manager opens in Excel (issue 14 "Audit trail").

UTF-8 with a BOM, so Excel reads the Japanese as UTF-8 rather than CP932, and
CRLF line ends. A cell that starts with = + - @ (or a tab or carriage return)
would be read by a spreadsheet as a formula — a reason is free text a person
typed, so it could be `=HYPERLINK(...)`: such a cell is prefixed with `'`,
which spreadsheets show as text (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from chalicelib.domain.audit import AuditEntry

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ("日時", "操作者", "操作", "対象", "保証契約番号", "理由")


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def to_csv(entries: Iterable[AuditEntry], action_labels: Mapping[str, str] | None = None) -> str:
    """The records, one row each, starting with the BOM: sent as UTF-8 it is the file Excel opens."""
    labels = action_labels or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for e in entries:
        row = (e.at, e.actor, labels.get(e.action, e.action), e.target, " ".join(e.numbers), e.reason or "")
        writer.writerow([neutralise(str(cell)) for cell in row])
    return BOM + out.getvalue()
