"""The certificate font (IPAex Gothic), opened once per process: one cache, one glyph checker.

Every question about the font goes through the HarfBuzz face cached here:
"can the PDF draw this text?" (input validation at submission, and again before
drawing) and "give me the glyphs this document uses" (the PDF subsetter in
`render.pdf_font`). HarfBuzz maps the file (no 6 MB read, no Python parse), so the
character set costs well under a millisecond, and uharfbuzz is one small C
extension: the submission path never imports fpdf2 or fontTools for it.

The character set HarfBuzz reads is the same one fpdf2 draws from (fontTools'
best cmap of the same file); a unit test holds the two equal.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from chalicelib.domain.fonts import undrawable_chars
from chalicelib.render.assets import font_path

#: The family name documents register the font under.
FAMILY = "ipaexg"

#: Whitespace the layout itself handles (line breaks); everything else must be in the font.
LAYOUT_CHARS = frozenset("\n\r\t")


class UnsupportedCharacters(ValueError):
    """Text holds characters the embedded font has no glyph for."""

    def __init__(self, chars: list[str]) -> None:
        self.chars = chars
        super().__init__("font has no glyph for: " + " ".join(f"U+{ord(c):04X}" for c in chars))


@functools.lru_cache(maxsize=1)
def face() -> Any:
    """The font file as a HarfBuzz face (memory-mapped, immutable, safe to share across threads)."""
    import uharfbuzz as hb

    return hb.Face(hb.Blob.from_file_path(str(font_path())))


@functools.lru_cache(maxsize=1)
def font_charset() -> frozenset[int]:
    """Every code point the font maps to a glyph (11,998 for IPAex Gothic 003.01)."""
    return frozenset(face().unicodes)


def unsupported_characters(texts: Iterable[str | None]) -> list[str]:
    """Characters of `texts` the font cannot draw, in first-seen order, each once."""
    charset = font_charset()
    joined = "".join(t for t in (text or "" for text in texts) if t)
    return [c for c in undrawable_chars(joined, charset) if c not in LAYOUT_CHARS]


def check_drawable(texts: Iterable[str | None]) -> None:
    """Raise UnsupportedCharacters rather than let fpdf2 drop a character with a log line."""
    missing = unsupported_characters(texts)
    if missing:
        raise UnsupportedCharacters(missing)
