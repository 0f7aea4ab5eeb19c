"""The fields of a 訂正/変更 (domain/version_changes.py): the JSON route's and the clerk's form's one home."""

from __future__ import annotations

import pytest

from chalicelib.domain import validation, version_changes
from chalicelib.domain.errors import FieldError, ValidationFailed


def test_the_form_reads_typed_amounts_dates_and_names():
    changes, errors = version_changes.from_form(
        {"guarantee_amount": "１，０００円", "contract_amount": "", "period_end": "2027-03-31", "project_name": " 橋 "}
    )
    assert errors == []
    assert changes == {"guarantee_amount": 1000, "period_end": "2027-03-31", "project_name": "橋"}


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("guarantee_amount", "0", "金額は1以上の整数 (円) で入力してください。"),
        ("contract_amount", "10000000000001", "金額は1以上の整数 (円) で入力してください。"),
        ("guarantee_amount", "²", "金額は1以上の整数 (円) で入力してください。"),
        ("period_end", "2027-02-30", "日付は YYYY-MM-DD で入力してください。"),
        ("project_name", "x" * 201, "200文字以内で入力してください。"),
    ],
)
def test_the_form_names_each_field_it_refuses(field, typed, message):
    _changes, errors = version_changes.from_form({field: typed})
    assert errors == [FieldError(f"changes.{field}", message)]


def test_the_bounds_are_the_schemas_too():
    ok = {"guarantee_amount": version_changes.MAX_AMOUNT, "project_name": "x" * version_changes.MAX_PROJECT_NAME}
    assert validation.validate(ok, version_changes.SCHEMA) == []
    assert validation.validate({"guarantee_amount": version_changes.MAX_AMOUNT + 1}, version_changes.SCHEMA)
    assert validation.validate({"contract_amount": version_changes.MIN_AMOUNT - 1}, version_changes.SCHEMA)
    assert version_changes.from_form({"contract_amount": str(version_changes.MAX_AMOUNT)})[0]
    assert version_changes.from_form({"contract_amount": str(version_changes.MAX_AMOUNT + 1)})[1]


def test_the_json_routes_period_end_must_be_a_real_day():
    assert version_changes.checked({"period_end": "2027-03-31"}) == {"period_end": "2027-03-31"}
    assert version_changes.checked(None) == {}
    with pytest.raises(ValidationFailed) as refused:
        version_changes.checked({"period_end": "2027-02-30"})
    assert refused.value.errors == [FieldError("changes.period_end", "日付が正しくありません。")]


def test_a_period_end_that_is_no_day_is_refused_on_its_field():
    with pytest.raises(ValidationFailed) as refused:
        version_changes.checked({"period_end": "2027-02-30"})
    assert [e.field for e in refused.value.errors] == ["changes.period_end"]
    assert version_changes.checked({"period_end": "2027-02-28"}) == {"period_end": "2027-02-28"}
