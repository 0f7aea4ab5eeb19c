"""domain/reasons.py: the reason a clerk gives for a staff write — non-empty after trimming, at most
200 characters, else a 400 on `reason` (one HTTP case per route family keeps "nothing changed":
tests/functional/staff/test_audit.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain import reasons
from chalicelib.domain.errors import ValidationFailed


@pytest.mark.parametrize(
    "reason", [None, "", "   ", "x" * 201, 7], ids=["missing", "empty", "blank", "201-characters", "not-text"]
)
def test_a_missing_blank_or_long_reason_is_refused_on_reason(reason):
    with pytest.raises(ValidationFailed) as refused:
        reasons.required(reason)
    assert [(e.field, e.message) for e in refused.value.errors] == [("reason", "理由を200文字以内で入力してください。")]


@pytest.mark.parametrize(
    ("raw", "kept"), [("理" * 200, "理" * 200), ("  紛失  ", "紛失"), (" " + "x" * 200 + " ", "x" * 200)]
)
def test_a_reason_of_up_to_200_characters_is_kept_trimmed(raw, kept):
    assert reasons.required(raw) == kept


@pytest.mark.parametrize(("what", "message"), [("却下", "却下理由を"), ("免除の", "免除の理由を")])
def test_the_message_names_the_decision(what, message):
    with pytest.raises(ValidationFailed) as caught:
        reasons.required(" ", what=what)
    assert caught.value.errors[0].message == f"{message}200文字以内で入力してください。"
