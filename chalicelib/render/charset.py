"""The characters the embedded PDF font can draw, read from its cmap once per container.

fontTools is imported here, on first use only (never on the `import app` path).
"""

from __future__ import annotations

import functools

from chalicelib.render.assets import font_path


@functools.lru_cache(maxsize=1)
def font_charset() -> frozenset[int]:
    """Every code point the font maps to a glyph (≈ 12,000 for IPAex Gothic)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()), lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()
