"""Issue 7: the bulk-verification CSV parser (encodings, line ends, header, malformed rows)."""

from __future__ import annotations

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
