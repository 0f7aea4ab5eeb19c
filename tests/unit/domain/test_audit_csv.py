"""Issue 14: the audit CSV opens in Excel (UTF-8 with BOM) and never carries a live formula."""

from __future__ import annotations

import csv
import io

from chalicelib.domain import labels
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.audit_csv import neutralise, to_csv


def test_formula_cells_are_neutralised_and_the_file_starts_with_a_bom():
    entries = [
        AuditEntry(
            actor="ibaraki-staff",
            action="reject",
            target="application:a1",
            scope="ibaraki",
            reason='=HYPERLINK("http://x")',
            at="2026-11-01T10:00:00+09:00",
        ),
        AuditEntry(
            actor="@evil",
            action="version",
            target="guarantee:30026-000001M",
            scope="ibaraki",
            numbers=("30026-000001M",),
            reason="+1",
            at="2026-11-01T09:00:00+09:00",
        ),
        AuditEntry(
            actor="ibaraki-staff",
            action="version",
            target="guarantee:30026-000001M",
            scope="ibaraki",
            reason="-2 減額",
            at="2026-11-01T08:00:00+09:00",
        ),
    ]
    text = to_csv(entries, labels.AUDIT_ACTION)
    raw = text.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["日時", "操作者", "操作", "対象", "保証契約番号", "理由"]
    assert rows[1][2] == "差戻し" and rows[1][5] == '\'=HYPERLINK("http://x")'
    assert rows[2][1] == "'@evil" and rows[2][4] == "30026-000001M" and rows[2][5] == "'+1"
    assert rows[3][5] == "'-2 減額"
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_plain_cells_are_left_alone():
    assert neutralise("書類不備") == "書類不備" and neutralise("") == "" and neutralise("\tx") == "'\tx"


def test_every_audit_action_has_a_label():
    from chalicelib.domain.audit import ACTIONS

    assert set(labels.AUDIT_ACTION) == set(ACTIONS)
