"""Issue 7: the bulk-verification CSV parser (encodings, line ends, header, malformed rows)."""

from __future__ import annotations

import csv
import io

import pytest

from chalicelib.domain import verify_csv
from chalicelib.domain.verify_csv import Row


def test_plain_utf8_lines():
    rows = verify_csv.parse(b"30026-000001M,Z28YUE4J3Bux\n30026-000002K,abcDEF234567\n")
    assert rows == [
        Row(1, "30026-000001M", "Z28YUE4J3Bux", True),
        Row(2, "30026-000002K", "abcDEF234567", True),
    ]


def test_bom_is_dropped_and_header_skipped():
    data = "\ufeffnumber,auth_key\r\n30026-000001M,Z28YUE4J3Bux\r\n".encode()
    assert verify_csv.parse(data) == [Row(2, "30026-000001M", "Z28YUE4J3Bux", True)]


def test_header_is_case_insensitive_and_only_first_line():
    rows = verify_csv.parse(b"NUMBER,Auth_Key\nnumber,auth_key\n")
    assert rows == [Row(2, "number", "auth_key", True)]


def test_cp932_is_decoded():
    data = "number,auth_key\r\n３００２６-000001M,キー\r\n".encode("cp932")
    rows = verify_csv.parse(data)
    assert rows == [Row(2, "３００２６-000001M", "キー", True)]


def test_crlf_and_blank_lines_keep_physical_line_numbers():
    rows = verify_csv.parse(b"\r\nA,B\r\n\r\n   \r\nC,D\r\n")
    assert [(r.line, r.number) for r in rows] == [(2, "A"), (5, "C")]


@pytest.mark.parametrize(
    "line",
    [b"only-one-field", b"a,b,c", b",key", b"number,", b'"unterminated,x', b"x" * 65 + b",k"],
)
def test_malformed_rows_are_invalid(line):
    rows = verify_csv.parse(b"30026-000001M,Z28YUE4J3Bux\n" + line + b"\n")
    assert rows[0].valid is True
    assert rows[1].valid is False and rows[1].line == 2
    assert rows[1].auth_key == ""  # a malformed row never carries a key onwards


def test_quoted_fields_and_spaces_are_trimmed():
    assert verify_csv.parse(b'" 30026-000001M ", Z28YUE4J3Bux \n') == [Row(1, "30026-000001M", "Z28YUE4J3Bux", True)]


def test_two_hundred_rows_plus_header_is_fine_and_201_rows_is_too_many():
    body = "".join(f"30026-{i:06d}M,key{i}\n" for i in range(200))
    assert len(verify_csv.parse(("number,auth_key\n" + body).encode())) == 200
    with pytest.raises(verify_csv.TooManyRows):
        verify_csv.parse((body + "30026-999999M,k\n").encode())


def test_undecodable_bytes_are_refused():
    with pytest.raises(verify_csv.UndecodableCsv):
        verify_csv.parse(b"\x81\x7f,\xff\xfe\n")


def test_empty_upload_has_no_rows():
    assert verify_csv.parse(b"") == []
    assert verify_csv.parse(b"number,auth_key\n") == []


def test_japanese_header_in_cp932_as_excel_saves_it_is_skipped():
    data = "保証契約番号,認証キー\r\n30026-000001M,Z28YUE4J3Bux\r\n\r\n30026-000002K,abcDEF234567\r\n".encode("cp932")
    rows = verify_csv.parse(data)
    assert [(r.line, r.number) for r in rows] == [(2, "30026-000001M"), (4, "30026-000002K")]


@pytest.mark.parametrize(
    "header",
    [
        "\ufeff保証契約番号,認証キー",
        '"保証契約番号","認証キー"',
        " 保証契約番号 , 認証キー ",
        "number,auth_key",
        "Number,Auth_Key",
    ],
)
def test_both_header_spellings_with_bom_quotes_or_blanks(header):
    for encoding in ("utf-8", "utf-8-sig", "cp932"):
        text = header.lstrip("\ufeff") if encoding == "cp932" else header
        rows = verify_csv.parse(f"{text}\n30026-000001M,Z28YUE4J3Bux\n".encode(encoding))
        assert [r.number for r in rows] == ["30026-000001M"], (header, encoding)


def test_only_a_header_has_no_rows():
    assert verify_csv.parse("保証契約番号,認証キー\r\n\r\n".encode("cp932")) == []


def test_results_csv_has_a_bom_and_neutralises_formula_cells():
    items = [
        {"line": 2, "number": "30026-000001M", "result": "valid"},
        {"line": 3, "number": '=HYPERLINK("http://evil")', "result": "invalid"},
        {"line": 4, "number": "+1", "result": "not_found"},
        {"line": 5, "number": "-1", "result": "not_found"},
        {"line": 6, "number": "@SUM(A1)", "result": "locked"},
    ]
    text = verify_csv.results_csv(
        items, {"valid": "有効", "invalid": "形式エラー", "not_found": "確認できません", "locked": "ロック中"}
    )
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["行", "保証契約番号", "結果", "result"]
    assert rows[1] == ["2", "30026-000001M", "有効", "valid"]
    assert [r[1] for r in rows[2:]] == ['\'=HYPERLINK("http://evil")', "'+1", "'-1", "'@SUM(A1)"]
    assert "\r\n" in text


def test_json_items_are_rows_numbered_by_position():
    rows = verify_csv.rows_of_items([{"number": " 30026-000101M ", "auth_key": "KEY"}, {"number": "", "auth_key": ""}])
    assert rows == [Row(1, "30026-000101M", "KEY", True), Row(2, "", "", False)]
    assert verify_csv.rows_of_items([]) == []


def test_more_json_items_than_the_limit_are_refused_before_any_is_read():
    with pytest.raises(verify_csv.TooManyRows):
        verify_csv.rows_of_items([{"number": "x", "auth_key": "y"}] * (verify_csv.MAX_ROWS + 1))
