"""Can the certificate font draw this text? (pure: the font's character set is handed in)

fpdf2 silently drops characters the font lacks (NOTES.md: IPAex has no 𠮷), so
input is refused at the door instead. The set of code points comes from
`render.charset.font_charset()`, which reads the font's cmap once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection


def drawable_in(charset: Collection[int]) -> Callable[[str], bool]:
    """A predicate for one character: True when the font has a glyph for it."""

    def drawable(char: str) -> bool:
        return len(char) == 1 and ord(char) in charset

    return drawable


def undrawable_chars(text: str, charset: Collection[int]) -> list[str]:
    """Distinct characters of `text` the font cannot draw, in order of first appearance."""
    return list(dict.fromkeys(c for c in text if ord(c) not in charset))
