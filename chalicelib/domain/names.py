"""An organisation's name as every certificate prints it (issue 26): trimmed, not empty, no control
character (CR, LF, NUL …) and nothing the certificate font cannot draw (𠮷). Pure: the font's
character set is handed in (`render.charset.font_charset()`), as for every other printed field."""

from __future__ import annotations

from collections.abc import Collection

from chalicelib.domain.application.collect import undrawable_message
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.fonts import undrawable_chars


def printable_name(name: str, charset: Collection[int], field: str = "name") -> str:
    """The trimmed name, or a 400 on `field` naming what cannot be printed — at the door, not at the
    first issue of one of the organisation's applications."""
    text = name.strip()
    if not text:
        raise ValidationFailed([FieldError(field, "名称を入力してください。")])
    bad = list(dict.fromkeys(c for c in text if not c.isprintable())) + undrawable_chars(text, charset)
    if bad:
        shown = [c if c.isprintable() else f"U+{ord(c):04X}" for c in dict.fromkeys(bad)]
        raise ValidationFailed([FieldError(field, undrawable_message(shown))])
    return text
