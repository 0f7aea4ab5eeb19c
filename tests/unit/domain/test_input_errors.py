"""Issue 16, pure pieces: message wording, CSV headers and results, the login target check, display forms."""

from __future__ import annotations

import csv
import io

import pytest

from chalicelib.domain import verify_csv
from chalicelib.domain.errors import FieldError
from chalicelib.domain.input_errors import explain, number_problem
from chalicelib.handlers.session import same_site_target
from chalicelib.render.formatting import application_number, era_of_input


def test_minus_five_and_twenty_digits_get_distinct_specific_messages_naming_the_field():
    schema_says = FieldError("advance_payment.amount", "整数で入力してください。")
    negative = explain({"advance_payment": {"amount": "-5"}}, [schema_says])[0].message
    huge = explain({"advance_payment": {"amount": "12345678901234567890"}}, [schema_says])[0].message
    assert negative == "前払金保証金額: 0円より大きい金額を入力してください。"
    assert huge.startswith("前払金保証金額: 桁数が多すぎます")
    assert negative != huge


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("−５", "円", "0円より大きい金額"),
        (-5, "円", "0円より大きい金額"),  # JSON: an integer, but not a positive one
        (0, "円", "0円より大きい金額"),
        ("1.5", "円", "小数は入力できません"),
        ("abc", "円", "数字で入力してください"),
        ("-1", "社", "0以上の数"),
        (10**14, "円", "桁数が多すぎます"),
    ],
)
def test_number_problems(value, unit, expected):
    assert expected in number_problem(value, unit)


def test_every_message_starts_with_its_label_once():
    errors = explain(
        {},
        [
            FieldError("bid.order_type", "選択肢の中から選んでください。"),
            FieldError("advance_payment.amount", "前払金保証金額は請負金額の4/10以下にしてください。"),
        ],
    )
    assert errors[0].message == "受注区分: 選択肢の中から選んでください。"
    assert errors[1].message == "前払金保証金額は請負金額の4/10以下にしてください。"  # already names itself


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


@pytest.mark.parametrize(
    "target",
    [
        "/dsure/verify?number=30026-000901M",
        "/dsure",
        "/dsure/inbox?cursor=abc%3D%3D",
        "/dsure/verify?number=30026-000901M&x=1",
    ],
)
def test_same_site_targets_keep_path_and_query(target):
    assert same_site_target(target, "dsure") == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/dsure/",
        "/dsure//evil.example",
        "/dsure/\r\nSet-Cookie:x=1",
        "/dsure/%0d%0a".replace("%0d%0a", "\n"),
        "/dsure/../netdesk",
        "/dsure/%2e%2e/netdesk",
        "/netdesk/applications",
        "/dsurex",
        "javascript:alert(1)",
        "dsure/verify",
        "/dsure/verify\t",
        "/dsure/検証",
        "/dsure/x#frag",
        "",
    ],
)
def test_everything_else_is_refused(target):
    assert same_site_target(target, "dsure") is None


def test_display_forms():
    assert application_number("3f9a0c21b7e4d5a6c8b9") == "3F9A-0C21"
    assert era_of_input("20231030") == era_of_input("2023/10/30") == "令和5年10月30日"
    assert era_of_input("2023-13-01") == "" and era_of_input("") == ""
