"""domain.numbers: one normaliser for every typed 保証契約番号 (list search and D-Sure)."""

from __future__ import annotations

import pytest

from chalicelib.domain.numbers import normalise_number


@pytest.mark.parametrize(
    "typed",
    [
        "30072-000001M",
        "30072-000001m",
        " 30072-000001M ",
        "30072 - 000001 M",
        "３００７２－０００００１Ｍ",
        "３００７２－０００００１ｍ",
        "30072\u3000-\u3000000001M",  # ideographic spaces
        "\t30072-000001M\n",
        "30072ー000001M",  # katakana long vowel mark typed for a dash
        "30072ｰ000001M",  # its half-width form
        "30072‐000001M",  # U+2010 hyphen
        "30072‑000001M",  # U+2011 non-breaking hyphen
        "30072–000001M",  # en dash
        "30072—000001M",  # em dash
        "30072―000001M",  # horizontal bar
        "30072−000001M",  # minus sign
        "30072﹣000001M",  # small hyphen-minus
    ],
)
def test_what_people_type_reads_as_the_stored_number(typed):
    assert normalise_number(typed) == "30072-000001M"


def test_empty_and_none_are_empty():
    assert normalise_number("") == ""
    assert normalise_number(None) == ""
    assert normalise_number("   ") == ""


def test_it_is_idempotent_and_leaves_other_text_recognisably_wrong():
    for raw in ["３００７２ー０００００１ｍ", "abc-def", "30072-000001X9", "𠮷"]:
        once = normalise_number(raw)
        assert normalise_number(once) == once
    assert normalise_number("abc def") == "ABCDEF"


def test_list_search_and_verification_read_a_number_the_same_way():
    from chalicelib.services import guarantees, verify

    for typed in ["３００７２－０００００１ｍ", " 30072ー000001m ", "30072 – 000001M"]:
        assert guarantees.normalise_number(typed) == verify.normalise_number(typed) == "30072-000001M"


@pytest.mark.parametrize("typed", ["30026 000001m", "30026000001M", "３００２６０００００１ｍ", " 30026　000001 M "])
def test_a_number_typed_without_its_hyphen_reads_as_the_stored_number(typed):
    assert normalise_number(typed) == "30026-000001M"


def test_read_number_refuses_what_is_not_a_number_with_this_branchs_example():
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.domain.numbers import EXAMPLE, read_number

    assert read_number("３００２６－０００００１ｙ") == "30026-000001Y"
    with pytest.raises(ValidationFailed) as exc:
        read_number("3002-000001M", field="q")
    (error,) = exc.value.errors
    assert error.field == "q" and EXAMPLE in error.message and EXAMPLE.startswith("300")
