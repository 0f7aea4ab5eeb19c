"""domain/input_errors.py: messages that say which field and what is wrong with it."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import FieldError
from chalicelib.domain.input_errors import explain, number_problem


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
