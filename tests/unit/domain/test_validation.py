"""domain/validation.py: JSON Schema errors, every field at once, in Japanese."""

from __future__ import annotations

from chalicelib.domain import validation

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "amount"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 5},
        "amount": {"type": "integer", "minimum": 1},
        "kind": {"enum": ["a", "b"]},
        "nested": {
            "type": "object",
            "additionalProperties": False,
            "required": ["x"],
            "properties": {"x": {"type": "integer"}},
        },
    },
}


def test_schema_reports_every_field_in_japanese():
    errors = validation.validate({"name": "toolong", "kind": "c", "nested": {"y": 1}, "zz": 1}, SCHEMA)
    by_field = {e.field: e.message for e in errors}
    assert by_field == {
        "amount": "必須項目です。",
        "name": "5文字以内で入力してください。",
        "kind": "選択肢の中から選んでください。",
        "nested.x": "必須項目です。",
        "nested.y": "この項目は受け付けていません。",
        "zz": "この項目は受け付けていません。",
    }


def test_schema_type_errors_name_the_expected_type():
    errors = validation.validate({"name": "a", "amount": "10"}, SCHEMA)
    assert [(e.field, e.message) for e in errors] == [("amount", "整数で入力してください。")]
    assert validation.validate([1], SCHEMA)[0].message == "オブジェクトで入力してください。"


def test_errors_carry_a_stable_code():
    schema = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "note": {"type": "string", "maxLength": 3},
            "n": {"type": "integer"},
        },
    }
    found = {e.field: e.code for e in validation.validate({"note": "toolong", "n": "x", "extra": 1}, schema)}
    assert found == {"name": "required", "note": "too_long", "n": None, "extra": None}  # None: the status's own


def test_an_error_item_answers_null_for_no_field_and_the_statuss_code():
    from chalicelib.domain.errors import FieldError

    assert FieldError("", "見つかりません。").as_dict(404) == {
        "field": None,
        "code": "not_found",
        "message": "見つかりません。",
    }
    assert FieldError("a.b", "必須です。", "required").as_dict() == {
        "field": "a.b",
        "code": "required",
        "message": "必須です。",
    }
    assert FieldError("a", "誤り").as_dict() == {"field": "a", "code": "invalid", "message": "誤り"}
