"""domain/constant_time: equality of client-sent secrets never raises, whatever they hold."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import constant_time


def test_the_standard_library_alone_raises_on_non_ascii():
    with pytest.raises(TypeError):
        hmac.compare_digest("é", "e")  # why the helper exists


@given(st.text(), st.text())
def test_equal_is_string_equality_and_never_raises(a, b):
    assert constant_time.equal(a, b) is (a == b)
    assert constant_time.equal(a, a)


def test_lone_surrogates_compare_too():
    assert not constant_time.equal("\ud800", "x") and constant_time.equal("\ud800", "\ud800")
