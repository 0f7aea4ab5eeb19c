"""domain/names.py: an organisation's name must print on a certificate (the font's set handed in)."""

from __future__ import annotations

import pytest

from chalicelib.domain import names
from chalicelib.domain.errors import ValidationFailed

#: A font that draws ASCII, the kana and 建設/株式会社 but not 𠮷 (as IPAex).
CHARSET = frozenset(range(0x20, 0x7F)) | {ord(c) for c in "〇建設株式会社笠間市長 "}


def test_a_printable_name_comes_back_trimmed():
    assert names.printable_name("  〇〇建設 株式会社 ", CHARSET) == "〇〇建設 株式会社"
    assert names.printable_name("笠間市長\r\n", CHARSET) == "笠間市長"  # CR/LF at the ends are trimmed


@pytest.mark.parametrize(
    ("name", "shown"),
    [("𠮷建設", "𠮷"), ("笠間\r\n市長", "U+000D"), ("笠間\x00市長", "U+0000")],
)
def test_what_the_certificate_cannot_print_is_a_400_on_the_field(name, shown):
    with pytest.raises(ValidationFailed) as refused:
        names.printable_name(name, CHARSET, field="org_name")
    [error] = refused.value.errors
    assert error.field == "org_name" and shown in error.message


def test_an_empty_name_is_a_400():
    with pytest.raises(ValidationFailed):
        names.printable_name(" \u3000 ", CHARSET)
