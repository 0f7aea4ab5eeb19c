"""fpdf2 documents whose font is parsed once per process and subset by HarfBuzz.

Why: fpdf2's `add_font` parses the 6 MB IPAex font for every document (cmap,
widths, glyph ids: ~40 % of a naive render) and its output step subsets the font
with fontTools (~55 %: ~90 ms, against ~1 ms for HarfBuzz). fpdf2 stays the layout
engine; only the font's loading and embedding change.

How, and why it is sound:
- `_prototype()` parses the font once per process with fpdf2's own `add_font`, so
  metrics, cmap, widths and the font descriptor are exactly what fpdf2 computes.
- Each document gets a `DocumentFont`: a `TTFFont` that shares the prototype's
  read-only parsed state (the fontTools font, cmap, widths, glyph ids) and owns
  everything a document mutates (its subset map, missing glyphs, largest size,
  its own copy of the font descriptor, which the output step numbers and fills).
  Drawing only reads the shared state.
- fpdf2's own output step subsets the shared fontTools font *in place* and then
  closes it, which is why a loaded font cannot be shared naively (NOTES.md).
  `HarfBuzzOutputProducer` embeds a `DocumentFont` instead from the immutable
  HarfBuzz face of `render.fonts`, writing the same PDF objects fpdf2 writes for
  a TrueType CID font (Type0 → CIDFontType2, ToUnicode, CIDToGIDMap, FontFile2);
  every other font, image and object is left to fpdf2.

`naive()` switches new documents back to fpdf2's plain path (a fresh `add_font`
and fontTools subsetting): the correctness test and the benchmark compare the two.
This module imports fpdf2 at import time: import it only where a PDF is drawn.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import uharfbuzz as hb

# isort: off
from chalicelib.render import fpdf_lean  # noqa: F401 - imports fpdf2 without unittest.mock and cryptography
from fpdf import FPDF
from fpdf.fonts import Glyph, SubsetMap, TTFFont
from fpdf.output import (
    CIDSystemInfo,
    OutputProducer,
    PDFContentStream,
    PDFFont,
    PDFFontStream,
    _build_cmap_blocks,
    _tt_font_widths,
)
from fpdf.syntax import Name, PDFArray

# isort: on

from chalicelib.render import fonts
from chalicelib.render.assets import font_path
from chalicelib.render.fonts import FAMILY

#: Tables a PDF CID font never reads, dropped as fpdf2 drops them (plus HarfBuzz's defaults).
_DROP_TABLES = (
    "FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix",
    "CBDT", "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR",
)  # fmt: skip

_naive: contextvars.ContextVar[bool] = contextvars.ContextVar("pdf_font_naive", default=False)


class DocumentFont(TTFFont):
    """One document's view of the process-wide parsed font (see the module docstring)."""

    __slots__ = ()


_PROTOTYPE_LOCK = threading.Lock()
_PROTOTYPE: list[TTFFont] = []  # the process's parsed font, once parsed


def _prototype() -> TTFFont:
    """The font parsed once per process by fpdf2 itself; never drawn with, never output.

    A plain cache does not stop concurrent first callers from each parsing it: under the local
    stack's threaded server a burst of issues parsed the 6 MB font once per waiting thread (3 s of
    one burst). The lock makes the first parse the only one."""
    if not _PROTOTYPE:
        with _PROTOTYPE_LOCK:
            if not _PROTOTYPE:
                holder = FPDF()
                holder.add_font(FAMILY, fname=str(font_path()))
                _PROTOTYPE.append(holder.fonts[FAMILY])
    return _PROTOTYPE[0]


def _document_font(prototype: TTFFont, index: int) -> DocumentFont:
    font = DocumentFont.__new__(DocumentFont)
    for name in TTFFont.__slots__:
        if hasattr(prototype, name):
            setattr(font, name, getattr(prototype, name))
    font.i = index
    font.desc = copy.copy(prototype.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    return font


@contextlib.contextmanager
def naive() -> Iterator[None]:
    """Within this block new documents take fpdf2's plain path (a baseline for tests and bench/)."""
    token = _naive.set(True)
    try:
        yield
    finally:
        _naive.reset(token)


def new_document() -> Any:
    """An A4 FPDF with the IPAex font registered as FAMILY (shared, or freshly parsed under `naive()`)."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    if _naive.get():
        pdf.add_font(FAMILY, fname=str(font_path()))
    else:
        pdf.fonts[FAMILY] = _document_font(_prototype(), len(pdf.fonts) + 1)
    return pdf


def output(pdf: Any) -> bytes:
    """The finished PDF; shared fonts are embedded by HarfBuzz, anything else by fpdf2."""
    return bytes(pdf.output(output_producer_class=HarfBuzzOutputProducer))


def subset_font(glyph_ids: Iterable[int], unicodes: Iterable[int]) -> tuple[bytes, Mapping[int, int]]:
    """A TrueType subset of the font with these glyphs (plus .notdef), and old → new glyph ids."""
    request = hb.SubsetInput()
    request.glyph_set.update({0, *glyph_ids})
    request.unicode_set.update(unicodes)
    request.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    for tag in _DROP_TABLES:
        request.drop_table_tag_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    plan = hb.SubsetPlan(fonts.face(), request)
    return plan.execute().blob.data, plan.old_to_new_glyph_mapping


def _utf16_hex(code: int) -> str:
    if code > 0xFFFF:
        high, low = 0xD800 | (code - 0x10000) >> 10, 0xDC00 | (code & 0x3FF)
        return f"{high:04X}{low:04X}"
    return f"{code:04X}"


def _to_unicode_cmap(glyphs: list[tuple[Glyph, int]]) -> bytes:
    """What lets a reader extract and search the text (the same CMap fpdf2 writes)."""
    entries = [
        f"<{code:04X}> <{''.join(_utf16_hex(u) for u in glyph.unicode)}>\n"
        for glyph, code in glyphs
        if isinstance(glyph.unicode, tuple) and glyph.unicode
    ]
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{_build_cmap_blocks(entries, 'bfchar')}"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("latin-1")


class HarfBuzzOutputProducer(OutputProducer):
    """fpdf2's output step, with `DocumentFont`s embedded from a HarfBuzz subset."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, Any]:
        # fpdf2 embeds every font in its registry; hide ours from it for the call, then restore
        # the registry exactly (same objects, same order).
        registry = self.fpdf.fonts
        registered = dict(registry)
        shared = sorted((f for f in registered.values() if isinstance(f, DocumentFont)), key=lambda f: f.i)
        for key in [k for k, f in registered.items() if isinstance(f, DocumentFont)]:
            del registry[key]
        try:
            objs = super()._add_fonts(*args, **kwargs)
        finally:
            registry.clear()
            registry.update(registered)
        for font in shared:
            objs[font.i] = self._embed(font)
        return objs

    def _embed(self, font: DocumentFont) -> Any:
        if font.missing_glyphs:
            raise fonts.UnsupportedCharacters([chr(c) for c in font.missing_glyphs])
        glyphs = [(glyph, code) for glyph, code in font.subset.items() if glyph is not None]
        # By name, as fpdf2 does: its placeholder for code 0 carries a code point, not a glyph id.
        original_gid = {code: font.ttfont.getGlyphID(glyph.glyph_name) for glyph, code in glyphs}
        unicodes = {u for glyph, _ in glyphs if isinstance(glyph.unicode, tuple) for u in glyph.unicode if u}
        data, old_to_new = subset_font(original_gid.values(), unicodes)
        fontname = f"MPDFAA+{font.name}"

        composite = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
        self._add_pdf_obj(composite, "fonts")
        cid_font = PDFFont(
            subtype="CIDFontType2", base_font=fontname, d_w=font.desc.missing_width, w=_tt_font_widths(font)
        )
        self._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])

        to_unicode = PDFContentStream(_to_unicode_cmap(glyphs))
        self._add_pdf_obj(to_unicode, "fonts")
        composite.to_unicode = to_unicode

        system_info = CIDSystemInfo()
        self._add_pdf_obj(system_info, "fonts")
        cid_font.c_i_d_system_info = system_info

        descriptor = font.desc
        descriptor.font_name = Name(fontname)
        self._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor

        # CID (the code fpdf2 wrote in the page) → glyph id in the subset; only up to the
        # highest code used (a reader maps CIDs past the end of the stream to glyph 0).
        cid_to_gid = bytearray(2 * (max(code for _, code in glyphs) + 1))
        for code, gid in original_gid.items():
            cid_to_gid[2 * code : 2 * code + 2] = old_to_new[gid].to_bytes(2, "big")
        cid_to_gid_map = PDFContentStream(contents=bytes(cid_to_gid), compress=True)
        self._add_pdf_obj(cid_to_gid_map, "fonts")
        cid_font.c_i_d_to_g_i_d_map = cid_to_gid_map

        font_file = PDFFontStream(contents=data)
        self._add_pdf_obj(font_file, "fonts")
        descriptor.font_file2 = font_file  # type: ignore[attr-defined]

        # fpdf2's SubsetMap memoises with functools.cache (a process-wide cache keyed by the
        # map): clear it as fpdf2's own output does, or every document would stay in memory.
        font.subset.pick.cache_clear()
        font.subset.get_glyph.cache_clear()
        return composite
