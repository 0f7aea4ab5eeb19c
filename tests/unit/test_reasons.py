"""domain/reasons.py: the one staff-reason rule, and the decision its message may name."""

from __future__ import annotations

import pytest

from chalicelib.domain import reasons
from chalicelib.domain.errors import ValidationFailed


@pytest.mark.parametrize("raw", [None, "", "   ", "x" * 201, 5])
def test_a_missing_blank_or_long_reason_is_a_400_on_reason(raw):
    with pytest.raises(ValidationFailed) as caught:
        reasons.required(raw)
    assert [(e.field, e.message) for e in caught.value.errors] == [("reason", "理由を200文字以内で入力してください。")]


def test_the_reason_is_trimmed():
    assert reasons.required("  書類不備  ") == "書類不備"
    assert reasons.required("x" * 200) == "x" * 200


@pytest.mark.parametrize(("what", "message"), [("却下", "却下理由を"), ("免除の", "免除の理由を")])
def test_the_message_names_the_decision(what, message):
    with pytest.raises(ValidationFailed) as caught:
        reasons.required(" ", what=what)
    assert caught.value.errors[0].message == f"{message}200文字以内で入力してください。"
