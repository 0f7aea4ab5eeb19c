"""The two PDFs of a guarantee version, drawn with fpdf2 and IPAex Gothic.

- the 保証証書 (certificate; 見本① of the seed), and
- 「電子保証にかかる「認証キー」のお知らせ」 (key notice; 見本②), electronic only.

Both are A4, embed a subset of the font, show dates in 和暦 and amounts with
separators, print the SHA-256 of the certificate content and carry a QR code
to the D-Sure page of the number — the URL never contains the key.

fpdf2 and segno are imported inside the functions (cold start: a plain
`import app` must not pay for them); the font is parsed once per process and
subset by HarfBuzz (`render.pdf_font`). A character the font cannot draw is
never dropped silently: `UnsupportedCharacters` is raised before drawing
(`render.fonts`, the one glyph checker).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from chalicelib import settings
from chalicelib.domain import labels
from chalicelib.domain.era import era_date
from chalicelib.render.fonts import FAMILY, UnsupportedCharacters, check_drawable, unsupported_characters
from chalicelib.render.formatting import yen
from chalicelib.render.letterhead import addressee, letterhead

__all__ = ["Documents", "UnsupportedCharacters", "render_documents", "render_key_notice", "unsupported_characters"]

FONT = FAMILY


def verify_url(number: str) -> str:
    """The D-Sure page for a number. Only the number: the key is never in a QR code."""
    from urllib.parse import quote

    return settings.current().url(f"/dsure/verify?number={quote(number)}")


def qr_png(url: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=4, border=2)
    return buf.getvalue()


@dataclass
class Documents:
    certificate: bytes
    key_notice: bytes | None


def _new_pdf() -> Any:
    from chalicelib.render import pdf_font

    pdf = pdf_font.new_document()
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_font(FONT, size=10)
    pdf.add_page()
    return pdf


#: Characters that must not start a line (行頭禁則); they hang at the end of the previous one.
_NO_LINE_START = frozenset("、。，．,.・：；？！）」』】〕〉》”’ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")


def kinsoku_lines(text: str, width: float, measure: Any) -> list[str]:
    """Break Japanese text into lines of at most `width`, keeping 、。」 etc. off line starts.

    fpdf2 wraps by character but knows no 禁則処理; a lone 「。」 at the start of a
    line looks broken to a Japanese reader. A prohibited character is hung at the
    end of the line instead (ぶら下げ), as Japanese typesetting does.

    A line's width is the running sum of its characters' widths (each measured once), not a
    measure of every prefix: that was O(n²) calls into fpdf2 and 40 % of a certificate's
    drawing. fpdf2's width of a string is the sum of its glyphs' widths; only within rounding
    of the limit is the candidate line measured whole, so lines break exactly where measuring
    every prefix broke them.
    """
    widths: dict[str, float] = {}
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current, running = "", 0.0
        for ch in paragraph:
            if ch not in widths:
                widths[ch] = measure(ch)
            estimate = running + widths[ch]
            if current and ch not in _NO_LINE_START and _too_wide(current + ch, estimate, width, measure):
                lines.append(current)
                current, running = ch, widths[ch]
            else:
                current, running = current + ch, estimate
        lines.append(current)
    return lines


#: Far below any visible difference (mm), far above the rounding of a sum of glyph widths.
_ROUNDING = 1e-6


def _too_wide(candidate: str, estimate: float, width: float, measure: Any) -> bool:
    if abs(estimate - width) > _ROUNDING:
        return estimate > width
    return measure(candidate) > width


#: One character's width (mm) per font, style, size, stretching and spacing, kept per process: the
#: same glyphs are measured in every document (fpdf2's get_string_width copies its graphics state on
#: each call: a third of a certificate's drawing before this cache).
_GLYPH_WIDTHS: dict[tuple[Any, ...], float] = {}
_GLYPH_WIDTHS_MAX = 50_000


def _measure(pdf: Any) -> Any:
    """`pdf.get_string_width` for the current font, a single character's width remembered."""
    font = (pdf.font_family, pdf.font_style, pdf.font_size_pt, pdf.font_stretching, pdf.char_spacing)

    def measure(text: str) -> float:
        if len(text) != 1:
            return pdf.get_string_width(text)
        key = (*font, text)
        found = _GLYPH_WIDTHS.get(key)
        if found is None:
            if len(_GLYPH_WIDTHS) >= _GLYPH_WIDTHS_MAX:
                _GLYPH_WIDTHS.clear()
            found = _GLYPH_WIDTHS[key] = pdf.get_string_width(text)
        return found

    return measure


def _text(pdf: Any, text: str, size: float = 10, h: float = 6, align: str = "L") -> None:
    pdf.set_font(FONT, size=size)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for line in kinsoku_lines(text, width, _measure(pdf)):
        pdf.cell(0, h, line, align=align, new_x="LMARGIN", new_y="NEXT")


#: Table rows: line height, inner padding above/below, label column width (mm).
ROW_LINE_H = 5.6
ROW_PAD = 1.6
LABEL_W = 42
LABEL_FILL = (238, 242, 247)


def _cell_lines(pdf: Any, text: str, width: float) -> list[str]:
    """`text` broken (with 禁則) to fit a cell of `width`, its padding and a hung 「。」 included."""
    inner = width - 2 * pdf.c_margin - pdf.get_string_width("。")
    return kinsoku_lines(text or "", inner, _measure(pdf)) or [""]


def _row(
    pdf: Any,
    label: str,
    value: str,
    label_w: float = LABEL_W,
    value_font: tuple[str, str, float] | None = None,
    char_spacing: float = 0,
) -> None:
    """One table row whose height follows its longest cell: both borders closed, text inside.

    Both cells are measured first (the same line breaking that draws them), the
    row moves to a new page when it would cross the bottom margin, the two
    rectangles are drawn at the row's full height, then the lines inside them.
    """
    width = pdf.w - pdf.l_margin - pdf.r_margin
    value_w = width - label_w
    pdf.set_font(FONT, size=10)
    label_lines = _cell_lines(pdf, label, label_w)
    family, style, size = value_font or (FONT, "", 10)
    pdf.set_font(family, style=style, size=size)
    pdf.set_char_spacing(char_spacing)
    value_line_h = max(ROW_LINE_H, size * 0.5)
    value_lines = _cell_lines(pdf, value, value_w) if not char_spacing else [value]
    height = max(len(label_lines) * ROW_LINE_H, len(value_lines) * value_line_h) + 2 * ROW_PAD
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_draw_color(60, 60, 60)
    pdf.set_fill_color(*LABEL_FILL)
    pdf.rect(x, y, label_w, height, style="DF")
    pdf.rect(x + label_w, y, value_w, height, style="D")
    pdf.set_font(FONT, size=10)
    pdf.set_char_spacing(0)
    for i, line in enumerate(label_lines):
        pdf.set_xy(x, y + ROW_PAD + i * ROW_LINE_H)
        pdf.cell(label_w, ROW_LINE_H, line)
    pdf.set_font(family, style=style, size=size)
    pdf.set_char_spacing(char_spacing)
    for i, line in enumerate(value_lines):
        pdf.set_xy(x + label_w, y + ROW_PAD + i * value_line_h)
        pdf.cell(value_w, value_line_h, line)
    pdf.set_char_spacing(0)
    pdf.set_font(FONT, size=10)
    pdf.set_xy(x, y + height)


def _ensure_space(pdf: Any, height: float) -> None:
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()


def _footer(pdf: Any, sha: str, qr: bytes | None, url: str) -> None:
    """QR code | D-Sure link and content hash | signature block, side by side in one band."""
    pdf.ln(4)
    _ensure_space(pdf, max(29 if qr is not None else 0, SIGNATURE_H + 1) + 5)
    top = pdf.get_y()
    text_x = pdf.l_margin + (32 if qr is not None else 0)
    text_w = pdf.w - pdf.r_margin - text_x - SIGNATURE_W - 3
    pdf.set_font(FONT, size=8)
    if qr is not None:
        pdf.image(io.BytesIO(qr), x=pdf.l_margin, y=top, w=28, h=28)
        pdf.set_xy(text_x, top)
        pdf.multi_cell(
            text_w, 4.5, "保証確認サービス (D-Sure) で確認できます。", wrapmode="CHAR", new_x="LEFT", new_y="NEXT"
        )
        pdf.multi_cell(text_w, 4.5, url, wrapmode="CHAR", new_x="LEFT", new_y="NEXT")
    bottom = max(pdf.get_y(), top + (29 if qr is not None else 0))
    _signature_block(pdf, top)
    pdf.set_xy(pdf.l_margin, max(bottom, top + SIGNATURE_H + 1))
    pdf.multi_cell(0, 4.5, f"保証証書内容のSHA-256: {sha}", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")


class Drawn(bytes):
    """A finished PDF's bytes, and where its signature block is: `box` = (page index, (x1, y1,
    x2, y2) in PDF points from the bottom left), where services/signing.py puts the widget."""

    box: tuple[int, tuple[float, float, float, float]] | None = None


#: The visible signature block (mm), at the right of the footer band (or at the end of the page).
SIGNATURE_W = 72
SIGNATURE_H = 24


def _signature_block(pdf: Any, top: float) -> None:
    """The house layout's signature block, in the page under the signature field's widget: who
    signs, when, and how a reader checks that nothing was changed (drawn with the embedded font).
    Where it went is kept on the document for `_finish`."""
    from chalicelib.domain import clock

    x = pdf.w - pdf.r_margin - SIGNATURE_W
    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(0.3)
    pdf.rect(x, top, SIGNATURE_W, SIGNATURE_H)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_xy(x + 1.5, top + 1.2)
    pdf.set_font(FONT, size=7.5)
    issuer = f"電子署名: {settings.current().issuer_name}"
    pdf.multi_cell(SIGNATURE_W - 3, 4, issuer, wrapmode="CHAR", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, size=7)
    for line in (
        f"署名日: {era_date(clock.today().isoformat())}",
        "時刻: RFC 3161 タイムスタンプ (PAdES)",
        "改ざん検出: 変更があれば署名パネルに",
        "「無効」と表示されます",
    ):
        pdf.cell(SIGNATURE_W - 3, 3.8, line, new_x="LEFT", new_y="NEXT")
    k = 72 / 25.4
    box = (x * k, (pdf.h - top - SIGNATURE_H) * k, (x + SIGNATURE_W) * k, (pdf.h - top) * k)
    pdf.esurety_signature_box = (pdf.page - 1, box)


def _finish(pdf: Any) -> bytes:
    from chalicelib.render import pdf_font

    if getattr(pdf, "esurety_signature_box", None) is None:  # a document without the footer band
        pdf.ln(2)
        _ensure_space(pdf, SIGNATURE_H + 1)
        _signature_block(pdf, pdf.get_y())
        pdf.set_y(pdf.get_y() + SIGNATURE_H)
    drawn = Drawn(pdf_font.output(pdf))
    drawn.box = pdf.esurety_signature_box
    return drawn


def _certificate_texts(c: dict[str, Any]) -> list[str]:
    lh = letterhead(c.get("form"))
    return [
        c["contractor_name"],
        c.get("jv_name") or "",
        c["orderer_name"],
        c["project_name"],
        c.get("deposit_bank") or "",
        c.get("location") or "",
        c.get("reason") or "",
        c["binding_sentence"],
        *c["issuer"].values(),
        lh.representative,
        lh.fax,
        *lh.notes,
    ]


def _draw_cancelled_mark(pdf: Any, c: dict[str, Any]) -> None:
    """A clear 取消 stamp under the title: the date and the reason, boxed in red, so a printed or
    forwarded cancelled certificate cannot be mistaken for a live one."""
    pdf.set_draw_color(200, 0, 0)
    pdf.set_text_color(200, 0, 0)
    pdf.set_line_width(0.8)
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, f"取消  {era_date(c['issued_on'])}", border=1, align="C", new_x="LMARGIN", new_y="NEXT")
    if c.get("reason"):
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 6, f"取消の理由: {c['reason']}", border=1, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.ln(2)


def _draw_certificate(content: dict[str, Any], sha: str, qr: bytes | None, url: str) -> bytes:
    c = content
    lh = letterhead(c.get("form"))
    pdf = _new_pdf()
    pdf.set_title(f"保証証書 {c['number']}")
    _text(pdf, era_date(c["issued_on"]), size=10, align="R")
    _text(pdf, addressee(c["orderer_name"]), size=12, h=8)
    title = f"保証証書 ({c['product_name']})"
    if c["version_kind"] != "new":
        title += f" [{labels.VERSION_KIND[c['version_kind']]}]"
    _text(pdf, title, size=16, h=10, align="C")
    pdf.ln(2)
    if c["version_kind"] == "cancellation":
        _draw_cancelled_mark(pdf, c)
    _row(pdf, "保証契約番号", c["number"])
    _row(pdf, "保証契約者", c["contractor_name"])
    if c.get("jv_name"):
        _row(pdf, "JV名", c["jv_name"])
    _row(pdf, "発注者", c["orderer_name"])
    _row(pdf, "工事名", c["project_name"])
    if c.get("location"):
        _row(pdf, "工事場所", c["location"])
    _row(pdf, "請負金額", yen(c["contract_amount"]))
    _row(pdf, "保証金額", yen(c["guarantee_amount"]))
    _row(pdf, "保証期限", era_date(c["deadline"]))
    _row(pdf, "工期", f"{era_date(c['period_start'])} ～ {era_date(c['period_end'])}")
    if c.get("deposit_bank"):
        _row(pdf, "預託金融機関", c["deposit_bank"])
    _row(pdf, "版", f"第{c['version']}版 ({labels.VERSION_KIND[c['version_kind']]})")
    if c.get("reason"):
        _row(pdf, "理由", c["reason"])
    pdf.ln(4)
    _text(pdf, c["binding_sentence"], size=10)
    pdf.ln(3)
    issuer = c["issuer"]
    _ensure_space(pdf, 40)
    _text(pdf, issuer["address"], size=10, align="R")
    _text(pdf, issuer["name"], size=11, h=7, align="R")
    _text(pdf, lh.representative, size=11, h=7, align="R")
    _text(pdf, f"取扱 {issuer['branch']}", size=9, h=5, align="R")
    _text(pdf, f"TEL: {issuer['phone']}", size=9, h=5, align="R")
    _text(pdf, f"FAX: {lh.fax}", size=9, h=5, align="R")
    pdf.ln(2)
    for i, note in enumerate(lh.notes, start=1):
        _text(pdf, f"{'(注) ' if i == 1 else '　　 '}{i}. {note}", size=8, h=4.5)
    _footer(pdf, sha, qr, url)
    return _finish(pdf)


#: The key in a monospaced face, large, spaced: people retype it from paper.
KEY_FONT = (FONT, "", 18)  # the embedded font (a PDF core font such as Courier is not embedded)


def _draw_key_notice(content: dict[str, Any], sha: str, auth_key: str, qr: bytes, url: str) -> bytes:
    c = content
    pdf = _new_pdf()
    pdf.set_title(f"認証キーのお知らせ {c['number']}")
    _text(pdf, era_date(c["issued_on"]), size=10, align="R")
    _text(pdf, "電子保証にかかる「認証キー」のお知らせ", size=15, h=10, align="C")
    pdf.ln(2)
    _text(
        pdf,
        "電子保証書を「保証確認サービス (D-Sure)」に掲載しましたので、お知らせします。"
        "つきましては、お客様にて下記内容をご確認いただき、次のいずれかの方法でこのPDFファイルを発注者様にご提出ください。",
    )
    _text(pdf, "① 電子契約システムへのアップロード　又は　② 電子メールに添付して送信")
    _text(
        pdf,
        "電子保証のご利用にあたっては、発注者様への「保証契約番号」と「認証キー」のご提出をもって、"
        "前払金請求手続 (前払金保証)、又は請負契約締結手続 (契約保証) が完了いたします。"
        "ご不明な点がございましたら、当社の営業部・支店までお問い合わせください。",
    )
    pdf.ln(2)
    _text(pdf, "記", size=11, align="C")
    _row(pdf, "工事名", c["project_name"])
    _row(pdf, "受注者名\n(JVの場合は代表者)", c["contractor_name"])
    if c.get("jv_name"):
        _row(pdf, "JV名", c["jv_name"])
    _row(pdf, "商品(保証区分)", c["product_name"])
    _row(pdf, "保証契約番号", c["number"])
    _row(pdf, "認証キー", auth_key, value_font=KEY_FONT, char_spacing=1.2)
    _row(pdf, "発注者", c["orderer_name"])
    _row(pdf, "保証金額", yen(c["guarantee_amount"]))
    _row(pdf, "保証期限", era_date(c["deadline"]))
    pdf.ln(1)
    _text(
        pdf, "認証キーは大文字と小文字を区別します。数字の 0・1 と英字の O・o・I・l は使われていません。", size=8, h=5
    )
    pdf.ln(2)
    _text(pdf, "【発注者様へのお願い】", size=10)
    _text(
        pdf,
        "「保証確認サービス (D-Sure)」にログインし、上記の「保証契約番号」と「認証キー」をもって電子保証書を閲覧ください。",
    )
    pdf.ln(2)
    issuer = c["issuer"]
    _ensure_space(pdf, 14)
    _text(pdf, issuer["name"], size=11, align="R")
    _text(pdf, f"{issuer['branch']}  TEL: {issuer['phone']}", size=10, align="R")
    _footer(pdf, sha, qr, url)
    return _finish(pdf)


def render_documents(content: dict[str, Any], sha: str, auth_key: str | None) -> Documents:
    """Both PDFs of one version in one go (the QR code and the glyph check are shared).

    Paper guarantees (`auth_key` None, form paper) get the certificate only and no QR
    code: they have no D-Sure entry. Raises UnsupportedCharacters rather than drop text.
    """
    check_drawable(_certificate_texts(content) + [auth_key or ""])
    electronic = content["form"] == "electronic"
    url = verify_url(content["number"])
    qr = qr_png(url) if electronic else None
    cert = _draw_certificate(content, sha, qr, url)
    notice = _draw_key_notice(content, sha, auth_key, qr, url) if electronic and auth_key and qr else None
    return Documents(cert, notice)


def render_key_notice(content: dict[str, Any], sha: str, auth_key: str) -> bytes:
    """Only the key notice (a reissued key on an unchanged certificate)."""
    check_drawable(_certificate_texts(content) + [auth_key])
    url = verify_url(content["number"])
    return _draw_key_notice(content, sha, auth_key, qr_png(url), url)
