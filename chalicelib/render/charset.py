"""The characters the embedded PDF font can draw (kept for its callers).

The one cache and the one checker are in `render.fonts`; this name stays so the
submission service's import keeps working.
"""

from __future__ import annotations

from chalicelib.render.fonts import font_charset

__all__ = ["font_charset"]
