"""render/pdf.py: both PDFs read back with pypdf (every field, 和暦, SHA-256), the QR payload, a PNG render."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from chalicelib.domain import certificate
from chalicelib.render import pdf
from tests import pdfs

DETAILS = {**pdfs.DETAILS, "jv_name": "〇〇・△△特定建設工事共同企業体"}
KEY = "Z28YUE4J3Bux"


def content(**kw):
    return pdfs.certificate_content(**{"details": DETAILS, **kw})


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def docs():
    c = content()
    sha = certificate.sha256(c)
    return c, sha, pdf.render_documents(c, sha, KEY)


def test_certificate_pdf_has_every_field(docs):
    c, sha, d = docs
    text = text_of(d.certificate)
    for expected in [
        "保証証書 (前払金保証)",
        "30026-000007M",
        "〇〇建設 株式会社",
        "〇〇・△△特定建設工事共同企業体",
        "笠間市長",
        "5市単(笠建)第〇-〇号道路改良工事",
        "茨城県笠間市〇〇",
        "50,000,000円",
        "20,000,000円",
        "〇〇銀行 ××支店",
        "令和9年11月15日",  # 保証期限
        "令和8年12月1日 ～ 令和9年11月15日",  # 工期
        "令和8年11月2日",  # issue date
        "当社は、前払金保証約款に基づき上記のとおり保証契約を締結し、その責に任じます。",
        pdfs.ISSUER["name"],
        pdfs.ISSUER["address"],
        pdfs.ISSUER["branch"],
        pdfs.ISSUER["phone"],
        sha,
        "第1版 (新規)",
    ]:
        assert expected in text, expected
    assert KEY not in text and "2027-11-15" not in text


def test_key_notice_pdf_has_the_seed_fields_and_the_key(docs):
    c, sha, d = docs
    text = text_of(d.key_notice)
    for expected in [
        "電子保証にかかる「認証キー」のお知らせ",
        "工事名",
        "5市単(笠建)第〇-〇号道路改良工事",
        "受注者名",
        "〇〇建設 株式会社",
        "商品(保証区分)",
        "前払金保証",
        "保証契約番号",
        "30026-000007M",
        "認証キー",
        KEY,
        "【発注者様へのお願い】",
        "「保証確認サービス (D-Sure)」にログインし",
        pdfs.ISSUER["name"],
        sha,
        "令和8年11月2日",
        "令和9年11月15日",
    ]:
        assert expected in text, expected


def test_pdfs_are_a4_and_embed_a_subset_font(docs):
    _, _, d = docs
    for data in (d.certificate, d.key_notice):
        reader = PdfReader(io.BytesIO(data))
        box = reader.pages[0].mediabox
        assert round(float(box.width)) == 595 and round(float(box.height)) == 842
        fonts = reader.pages[0]["/Resources"]["/Font"]
        names = [str(f.get_object()["/BaseFont"]) for f in fonts.values()]
        assert any("+" in n and "IPAex" in n.replace("-", "") or "ipaex" in n.lower() for n in names), names
        assert len(data) < 400_000  # subset, not the 6 MB font


def test_contract_guarantee_sentence_and_version_label():
    c = content(kind="contract_guarantee", number="30026-000008K", version=3, version_kind="change", reason="増額")
    d = pdf.render_documents(c, certificate.sha256(c), KEY)
    text = text_of(d.certificate)
    assert (
        "保証証書 (契約保証) [変更]" in text
        and "当社は、契約保証約款に基づき上記のとおり保証契約を締結し、その責に任じます。" in text
    )
    assert "預託金融機関" not in text and "増額" in text


def test_qr_payload_is_the_dsure_url_and_never_the_key(monkeypatch):
    import segno

    seen = []
    real = segno.make
    monkeypatch.setattr(segno, "make", lambda data, **kw: seen.append(data) or real(data, **kw))
    c = content()
    d = pdf.render_documents(c, certificate.sha256(c), KEY)
    assert seen and all(s == "http://127.0.0.1:8000/dsure/verify?number=30026-000007M" for s in seen)
    assert all(KEY not in s for s in seen)
    assert d.key_notice is not None


def test_paper_certificate_has_no_key_notice_and_no_qr(monkeypatch):
    import segno

    seen = []
    monkeypatch.setattr(segno, "make", lambda data, **kw: seen.append(data))
    c = content(form="paper")
    d = pdf.render_documents(c, certificate.sha256(c), None)
    assert d.key_notice is None and seen == []
    text = text_of(d.certificate)
    assert "30026-000007M" in text
    assert "D-Sure" not in text and "保証確認サービス" not in text  # paper has no D-Sure entry: nor its (注)


def test_unsupported_character_is_refused_not_dropped():
    c = content(details={**DETAILS, "project_name": "𠮷野家前道路改良工事"})
    with pytest.raises(pdf.UnsupportedCharacters) as info:
        pdf.render_documents(c, certificate.sha256(c), KEY)
    assert info.value.chars == ["𠮷"]


def test_page_one_renders_to_a_non_blank_png(docs, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: `bin/setup --system` installs it")
    _, _, d = docs
    from PIL import Image  # Pillow comes with fpdf2

    for name, data in (("cert", d.certificate), ("notice", d.key_notice)):
        src = tmp_path / f"{name}.pdf"
        src.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-gray", str(src), str(tmp_path / name)], check=True
        )
        png = next(tmp_path.glob(f"{name}*.png"))
        img = Image.open(png).convert("L")
        hist = img.histogram()
        dark = sum(hist[:128])
        assert img.size[0] > 300 and dark > 0.01 * img.size[0] * img.size[1], "page looks blank"
