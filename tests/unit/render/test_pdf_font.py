"""Issue 11: the PDF fast path (font parsed once, HarfBuzz subset) draws exactly what fpdf2's naive path draws."""

from __future__ import annotations

import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from chalicelib.domain import certificate
from chalicelib.render import fonts, pdf, pdf_font

ISSUER = {
    "name": "東日本建設業保証株式会社",
    "branch": "茨城支店",
    "address": "東京都中央区八丁堀2丁目27番10号",
    "phone": "029-221-3800",
}
LONG_JV = "髙﨑・山﨑・ｶﾅﾀﾞ建設・〇〇土木・△△工業・東日本総合開発・北関東舗装・西日本設備特定建設工事共同企業体"
HARD = {
    "contractor_name": "髙﨑建設 株式会社",
    "jv_name": LONG_JV,
    "project_name": "①号線ｶﾅ改良工事〇〇地区ー第二期（その１）",
    "orderer_name": "笠間市長",
    "contract_amount": 1_234_567_890,
    "guarantee_amount": 493_827_156,
    "period_start": "2026-12-01",
    "period_end": "2027-11-15",
    "location": "茨城県笠間市〇〇町ー丁目①番地",
    "deposit_bank": "髙﨑信用金庫 ｶﾅ支店",
}
KEY = "Z28YUE4J3Bux"


def content(**details):
    return certificate.build_content(
        number="30026-000123M", kind="advance_payment", form="electronic", version=2, version_kind="correction",
        orderer_id="08216", deadline="2027-11-15", details={**HARD, **details}, issued_on="2026-11-02",
        issuer=ISSUER, reason="工事名の訂正（ｶﾅ表記）ー①",
    )  # fmt: skip


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def both_paths(c):
    sha = certificate.sha256(c)
    fast = pdf.render_documents(c, sha, KEY)
    with pdf_font.naive():
        slow = pdf.render_documents(c, sha, KEY)
    return fast, slow


@pytest.fixture(scope="module")
def rendered():
    return both_paths(content())


def test_fast_and_naive_renders_extract_to_the_same_text(rendered):
    fast, slow = rendered
    for f, s in ((fast.certificate, slow.certificate), (fast.key_notice, slow.key_notice)):
        assert text_of(f) == text_of(s)
    cert = text_of(fast.certificate)
    for hard in (
        "髙﨑建設 株式会社",
        "①号線ｶﾅ改良工事〇〇地区ー第二期（その１）",
        "髙﨑信用金庫 ｶﾅ支店",
        "工事名の訂正（ｶﾅ表記）ー①",
    ):
        assert hard in cert, hard
    # the long JV name wraps over lines: every character is there, in order
    assert LONG_JV in cert.replace("\n", "")
    assert KEY in text_of(fast.key_notice)


def test_the_fast_path_is_really_taken(rendered):
    fast, slow = rendered
    assert fast.certificate != slow.certificate  # a different subsetter wrote the embedded font
    reader = PdfReader(io.BytesIO(fast.certificate))
    (font,) = reader.pages[0]["/Resources"]["/Font"].values()
    font = font.get_object()
    assert str(font["/BaseFont"]) == "/MPDFAA+IPAexGothic"
    assert font["/DescendantFonts"][0].get_object()["/Subtype"] == "/CIDFontType2"


def test_each_pdf_stays_under_64_kb(rendered):
    # 60 KB before the signature block (issue 31) brought its ~25 glyphs (about 2.7 KB).
    fast, _ = rendered
    assert len(fast.certificate) <= 64_000 and len(fast.key_notice) <= 64_000


def test_fast_and_naive_pages_rasterise_identically(rendered, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: `bin/setup --system` installs it")
    from PIL import Image, ImageChops  # Pillow comes with fpdf2

    fast, slow = rendered
    for name, (f, s) in {
        "cert": (fast.certificate, slow.certificate),
        "notice": (fast.key_notice, slow.key_notice),
    }.items():
        pixels = []
        for label, data in (("fast", f), ("slow", s)):
            src = tmp_path / f"{name}-{label}.pdf"
            src.write_bytes(data)
            subprocess.run(
                ["pdftoppm", "-png", "-r", "100", "-gray", str(src), str(tmp_path / f"{name}-{label}")], check=True
            )
            pixels.append(Image.open(next(tmp_path.glob(f"{name}-{label}*.png"))).convert("L"))
        assert ImageChops.difference(*pixels).getbbox() is None, f"{name}: fast and naive pages differ"


def test_documents_do_not_leak_glyphs_or_state_into_each_other():
    sha = "0" * 64
    first = pdf.render_documents(content(project_name="髙橋道路改良工事"), sha, KEY)
    second = pdf.render_documents(content(project_name="山田橋梁補修工事"), sha, KEY)
    assert "髙橋道路改良工事" in text_of(first.certificate)
    assert "山田橋梁補修工事" in text_of(second.certificate) and "髙橋" not in text_of(second.certificate)
    proto = pdf_font._prototype()
    assert proto.missing_glyphs == [] and len(proto.subset) <= 2  # only fpdf2's reserved .notdef and space
    assert "glyf" in proto.ttfont.keys()  # never subset in place, never closed


def test_concurrent_renders_match_sequential_ones():
    cases = [content(project_name=f"第{n}号髙﨑ｶﾅ道路改良工事") for n in range(6)]
    sequential = [text_of(pdf.render_documents(c, "0" * 64, KEY).certificate) for c in cases]
    with ThreadPoolExecutor(max_workers=3) as pool:
        concurrent = list(pool.map(lambda c: text_of(pdf.render_documents(c, "0" * 64, KEY).certificate), cases))
    assert concurrent == sequential


def test_a_glyph_missing_from_the_font_fails_the_fast_path_loudly():
    doc = pdf_font.new_document()
    doc.add_page()
    doc.set_font(fonts.FAMILY, size=10)
    doc.cell(0, 8, "𠮷野家")  # drawn text never checked beforehand: output must refuse it, not drop it
    with pytest.raises(fonts.UnsupportedCharacters) as info:
        pdf_font.output(doc)
    assert info.value.chars == ["𠮷"]


def test_the_glyph_checker_agrees_with_the_cmap_fpdf2_draws_from():
    from fontTools.ttLib import TTFont

    from chalicelib.render.assets import font_path
    from chalicelib.render.charset import font_charset

    best = TTFont(str(font_path()), lazy=True).getBestCmap()
    assert fonts.font_charset() == frozenset(best) == font_charset()
    assert pdf.unsupported_characters(["髙﨑①ｶﾅ〇ー\n", "𠮷a𠮷"]) == ["𠮷"]


def test_concurrent_first_documents_parse_the_font_once(monkeypatch):
    """A burst of first renders in a threaded server waits for one parse instead of each parsing."""
    import threading
    import time

    from fpdf import FPDF

    parses = []
    original = FPDF.add_font

    def counted(self, *args, **kwargs):
        parses.append(threading.get_ident())
        time.sleep(0.05)  # widen the window in which a second caller could start its own parse
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FPDF, "add_font", counted)
    monkeypatch.setattr(pdf_font, "_PROTOTYPE", [])  # this process's parsed font comes back after the test
    barrier = threading.Barrier(6)

    def first_document(_):
        barrier.wait()
        return pdf_font._prototype()

    with ThreadPoolExecutor(max_workers=6) as pool:
        fonts_seen = set(map(id, pool.map(first_document, range(6))))
    assert len(parses) == 1 and len(fonts_seen) == 1
