"""Issue 16: PDF table rows grow with their text — every cell border closed, all text inside.

Read back from the PDF itself: the rectangles drawn (`re` operators) and each
text run's position (pypdf's text visitor); each run's width is measured with
the same font metrics fpdf2 used. A 120-character 工事名 and a long JV name
must wrap inside their cells, and each row's label and value cells must share
one full height (the old layout left the label one line tall, its border open).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from chalicelib.domain import certificate
from chalicelib.render import pdf
from chalicelib.render.assets import font_path
from tests import pdfs

pytestmark = pytest.mark.skipif(not font_path().exists(), reason="IPAex font not fetched (bin/setup fetches it)")

ISSUER = {
    "name": "東日本建設業保証株式会社",
    "branch": "茨城支店",
    "address": "東京都中央区八丁堀2丁目27番10号",
    "phone": "029-221-3800",
}
LONG_NAME = ("5市単(笠建)第〇-〇号道路改良工事（その2）" * 6)[:120]
JV_NAME = "〇〇・△△・□□・◇◇特定建設工事共同企業体（代表者 〇〇建設株式会社、構成員 △△工業株式会社）"
KEY = "Z28YUE4J3Bux"
PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Rect:
    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class Run:
    text: str
    x: float
    baseline: float
    size: float
    width: float


def content() -> dict:
    assert len(LONG_NAME) == 120
    return pdfs.certificate_content(details={**pdfs.DETAILS, "jv_name": JV_NAME, "project_name": LONG_NAME})


@pytest.fixture(scope="module")
def documents() -> dict[str, bytes]:
    c = content()
    d = pdf.render_documents(c, certificate.sha256(c), KEY)
    return {"certificate": d.certificate, "key_notice": d.key_notice}


@pytest.fixture(scope="module")
def measure():
    """Width in pt of a run, with the fonts the documents use."""
    from fpdf import FPDF

    meter = FPDF(unit="pt")
    meter.add_font(pdf.FONT, fname=str(font_path()))

    def width(text: str, size: float) -> float:
        if size == pdf.KEY_FONT[2]:  # the key: the embedded font, large and letter-spaced
            meter.set_font(pdf.KEY_FONT[0], style=pdf.KEY_FONT[1], size=size)
            return meter.get_string_width(text) + len(text) * 1.2 * PT_PER_MM
        meter.set_font(pdf.FONT, size=size)
        return meter.get_string_width(text)

    return width


def layout(data: bytes, measure) -> list[tuple[Rect, list[Rect], list[Run], float, float]]:
    """Per page: (page box, rectangles, text runs)."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(data))
    pages = []
    for page in reader.pages:
        box = page.mediabox
        rects = []
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"re":
                x, y, w, h = (float(v) for v in operands)
                rects.append(Rect(min(x, x + w), min(y, y + h), max(x, x + w), max(y, y + h)))
        runs: list[Run] = []

        def visit(text, cm, tm, font, size, runs=runs):
            text = text.strip()
            if text:
                runs.append(Run(text, float(tm[4]), float(tm[5]), float(size), measure(text, float(size))))

        page.extract_text(visitor_text=visit)
        pages.append(
            (Rect(0, 0, float(box.width), float(box.height)), rects, runs, float(box.width), float(box.height))
        )
    return pages


def rows_of(rects: list[Rect]) -> list[tuple[Rect, Rect]]:
    """Table rows: a label cell and a value cell side by side (the QR code's image is no `re`)."""
    rows = []
    for label in rects:
        for value in rects:
            if value is not label and abs(value.left - label.right) < 0.01 and abs(value.top - label.top) < 0.01:
                rows.append((label, value))
    return rows


def inside(run: Run, cell: Rect) -> bool:
    ascent, descent = run.size * 0.88, run.size * 0.12
    return (
        cell.left < run.x
        and run.x + run.width <= cell.right + 0.01
        and cell.bottom < run.baseline - descent
        and run.baseline + ascent <= cell.top + 0.01
    )


@pytest.mark.parametrize("name", ["certificate", "key_notice"])
def test_every_row_is_one_closed_box_of_full_height_and_its_text_stays_inside(documents, measure, name):
    pages = layout(documents[name], measure)
    all_rows = 0
    for page_box, rects, runs, width, height in pages:
        rows = rows_of(rects)
        all_rows += len(rows)
        for label, value in rows:
            # both cells of a row close at the same bottom: the label grows with a tall value and vice versa
            assert abs(label.bottom - value.bottom) < 0.01, (label, value)
            assert page_box.left <= label.left and value.right <= page_box.right
            assert page_box.bottom <= label.bottom and label.top <= page_box.top
        # no two rows overlap
        tops = sorted(((label.bottom, label.top) for label, _ in rows), reverse=True)
        for (b1, _t1), (_b2, t2) in zip(tops, tops[1:], strict=False):
            assert t2 <= b1 + 0.01
        for run in runs:
            assert 0 <= run.x and run.x + run.width <= width, run  # all text inside the page
            assert 0 <= run.baseline <= height, run
            cells = [
                cell
                for row in rows
                for cell in row
                if cell.left <= run.x < cell.right and cell.bottom <= run.baseline <= cell.top
            ]
            for cell in cells:  # a run that starts in a cell ends in it, clear of its borders
                assert inside(run, cell), (run, cell)
    assert all_rows >= 9


@pytest.mark.parametrize("name", ["certificate", "key_notice"])
def test_the_long_project_name_and_jv_name_wrap_inside_their_cells_with_nothing_lost(documents, measure, name):
    page_box, rects, runs, _w, _h = layout(documents[name], measure)[0]
    rows = rows_of(rects)
    for label_text, expected in (("工事名", LONG_NAME), ("JV名", JV_NAME)):
        label_run = next(r for r in runs if r.text == label_text)
        label_cell, value_cell = next((lab, val) for lab, val in rows if inside(label_run, lab))
        lines = [r for r in runs if inside(r, value_cell)]
        assert len(lines) >= 2, f"{label_text} should wrap onto several lines"
        assert "".join(r.text for r in sorted(lines, key=lambda r: -r.baseline)) == expected
        # the row is as tall as its lines, and the label cell is as tall as the value cell
        assert label_cell.top - label_cell.bottom >= len(lines) * pdf.ROW_LINE_H * PT_PER_MM


def embedded(font) -> bool:
    """What `pdffonts` calls emb: the font (or its descendant) carries its own font file."""
    font = font.get_object()
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(
        k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def test_the_key_is_printed_large_and_every_font_is_embedded(documents, measure):
    _box, _rects, runs, _w, _h = layout(documents["key_notice"], measure)[0]
    key_run = next(r for r in runs if r.text == KEY)
    assert key_run.size >= 16
    from pypdf import PdfReader

    for data in documents.values():
        for page in PdfReader(io.BytesIO(data)).pages:
            fonts = page["/Resources"]["/Font"]
            assert fonts and all(embedded(f) for f in fonts.values()), [
                str(f.get_object()["/BaseFont"]) for f in fonts.values()
            ]


def test_the_seed_fields_of_both_samples(documents):
    from pypdf import PdfReader

    def text(data: bytes) -> str:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)

    cert = text(documents["certificate"])
    for expected in ("笠間市長 殿", "取締役社長", "FAX:", "(注)", "保証契約の変更の手続きは必要ありません"):
        assert expected in cert, expected
    notice = text(documents["key_notice"])
    assert "(JVの場合は代表者)" in notice and "大文字と小文字を区別します" in notice


def test_kinsoku_keeps_punctuation_off_line_starts():
    from chalicelib.render.pdf import kinsoku_lines

    def measure(s: str) -> float:
        return float(len(s))

    lines = kinsoku_lines("あいうえお。かきくけこ、さしすせそ」", 5, measure)
    assert lines == ["あいうえお。", "かきくけこ、", "さしすせそ」"]
    assert kinsoku_lines("あいうえおかき\nく", 5, measure) == ["あいうえお", "かき", "く"]
    assert all(not line or line[0] not in "、。」" for line in kinsoku_lines("。" * 3 + "あ" * 12, 5, measure)[1:])


def _kinsoku_by_prefix(text: str, width: float, measure) -> list[str]:
    """The reference: every candidate line measured whole (what kinsoku_lines did before)."""
    lines = []
    for paragraph in text.split("\n"):
        current = ""
        for ch in paragraph:
            if current and measure(current + ch) > width and ch not in pdf._NO_LINE_START:
                lines.append(current)
                current = ch
            else:
                current += ch
        lines.append(current)
    return lines


_KINSOKU_TEXT = "あ髙﨑ｶﾅ号線工事〇〇地区（その１）、。」ー・1234567890ABCxyz 第二期\n"


def test_kinsoku_breaks_where_measuring_every_prefix_breaks_on_fpdf2_s_real_widths():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from chalicelib.render import pdf_font

    document = pdf_font.new_document()
    document.add_page()
    document.set_font(pdf.FONT, size=10)
    measure = document.get_string_width
    exact_edge = measure("あいうえお")  # a limit a line can meet exactly

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(st.text(alphabet=_KINSOKU_TEXT, max_size=80), st.sampled_from([exact_edge, 13.0, 31.7, 60.0, 170.0]))
    def same_lines(text, width):
        assert pdf.kinsoku_lines(text, width, measure) == _kinsoku_by_prefix(text, width, measure)

    same_lines()


def test_a_characters_width_is_measured_once_per_font_and_size_and_matches_fpdf2(monkeypatch):
    from chalicelib.render import pdf_font

    document = pdf_font.new_document()
    document.add_page()
    document.set_font(pdf.FONT, size=10)
    monkeypatch.setattr(pdf, "_GLYPH_WIDTHS", {})
    asked: list[str] = []
    real = document.get_string_width
    monkeypatch.setattr(document, "get_string_width", lambda s: asked.append(s) or real(s))
    lines = pdf.kinsoku_lines(_KINSOKU_TEXT * 3, 60.0, pdf._measure(document))
    assert lines == pdf.kinsoku_lines(_KINSOKU_TEXT * 3, 60.0, real)
    single = [s for s in asked if len(s) == 1]
    assert len(single) == len(set(single))  # each character once, then remembered
    asked.clear()
    pdf.kinsoku_lines(_KINSOKU_TEXT, 60.0, pdf._measure(document))  # the next document: nothing measured again
    assert not [s for s in asked if len(s) == 1]
    document.set_font(pdf.FONT, size=12)  # another size is measured anew, at its own width
    assert pdf._measure(document)("あ") == real("あ") != pdf._GLYPH_WIDTHS[(pdf.FONT.lower(), "", 10, 100, 0, "あ")]
