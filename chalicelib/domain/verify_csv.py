"""The bulk-verification CSV (API.md `POST /api/verify/bulk`): lines of `number,auth_key`.

Municipal offices export these from Excel, so the bytes may be UTF-8 (with or
without a BOM) or CP932, with LF or CRLF line ends, and may start with a
header, `number,auth_key` or `保証契約番号,認証キー` (API.md), which is skipped and
counts for nothing. Pure Python: the service decides what a row means.
`results_csv` writes the answers back as a CSV a spreadsheet opens safely.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

MAX_ROWS = 200
MAX_FIELD = 64
HEADERS = (("number", "auth_key"), ("保証契約番号", "認証キー"))


class TooManyRows(Exception):
    """More than MAX_ROWS data lines: the whole upload is refused (413)."""


class UndecodableCsv(Exception):
    """Neither UTF-8 nor CP932: nothing can be read (400)."""


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line number in the upload, header and blank lines included
    number: str  # as entered (trimmed); "" when the row had none
    auth_key: str
    valid: bool  # False: not exactly two non-empty fields of sane length


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not) first, CP932 when the bytes are not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise UndecodableCsv from None


def parse(data: bytes, max_rows: int = MAX_ROWS) -> list[Row]:
    """Every non-blank line after an optional header, in order; malformed ones marked invalid.

    Raises TooManyRows before any row is looked at, so an oversized upload
    costs no verification attempts.
    """
    text = decode(data)
    lines = text.splitlines()
    rows: list[Row] = []
    header_done = False
    for index, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        fields = _fields(raw)
        if not header_done:
            header_done = True
            if fields is not None and is_header(fields):
                continue
        rows.append(_row(index, raw, fields))
        if len(rows) > max_rows:
            raise TooManyRows
    return rows


def rows_of_items(items: list[dict[str, str]], max_rows: int = MAX_ROWS) -> list[Row]:
    """The JSON form's `items` (already shaped by its schema) as rows: `line` is the 1-based position.

    Raises TooManyRows before any row is looked at, as `parse` does."""
    if len(items) > max_rows:
        raise TooManyRows
    return [
        _row(line, "", [item.get("number", "").strip(), item.get("auth_key", "").strip()])
        for line, item in enumerate(items, start=1)
    ]


def is_header(fields: list[str]) -> bool:
    """Either header spelling, whatever the case, blanks or a stray BOM around the names."""
    names = tuple(f.strip().strip("\ufeff").strip().lower() for f in fields)
    return names in HEADERS


def _fields(raw: str) -> list[str] | None:
    try:
        parsed = next(csv.reader([raw], strict=True), [])
    except csv.Error:
        return None
    return [f.strip() for f in parsed]


def _row(line: int, raw: str, fields: list[str] | None) -> Row:
    if fields is None or len(fields) != 2:
        first = (fields[0] if fields else raw.split(",")[0]).strip()
        return Row(line, first[:MAX_FIELD], "", False)
    number, key = fields
    ok = bool(number) and bool(key) and len(number) <= MAX_FIELD and len(key) <= MAX_FIELD
    return Row(line, number[:MAX_FIELD], key if ok else "", ok)


#: What a spreadsheet would run as a formula when a cell starts with it (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ (or tab/CR) gets a ' in front."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def results_csv(items: list[dict], labels: Mapping[str, str]) -> str:
    """The bulk results as CSV text with a BOM (Excel then reads it as UTF-8), CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["行", "保証契約番号", "結果", "result"])
    for item in items:
        result = str(item.get("result", ""))
        writer.writerow(
            [
                safe_cell(item.get("line")),
                safe_cell(item.get("number")),
                safe_cell(labels.get(result, result)),
                safe_cell(result),
            ]
        )
    return "\ufeff" + buf.getvalue()
