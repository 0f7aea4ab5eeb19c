"""The two PDFs issue 17 adds, drawn with pdf.py's font, layout helpers, QR code and glyph check:

- 契約保証予約証書 (the 入札ボンド) and, for an electronic one, its 認証キーのお知らせ;
- 保証料計算書 (each product's basis, rate and amount, the total and where to pay).

Kept apart from pdf.py (whose font loading and drawing other work changes) so the
guarantee documents and these evolve independently. fpdf2 is only imported when
drawing (through main's pdf._new_pdf / _finish: the fast font path of render/pdf_font.py),
never on `import app`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.domain import labels
from chalicelib.domain.era import era_date
from chalicelib.domain.fees import rate_percent
from chalicelib.render import pdf as base
from chalicelib.render.fonts import check_drawable
from chalicelib.render.formatting import yen


def _texts(c: Mapping[str, Any]) -> list[str]:
    return [
        c["contractor_name"],
        c["orderer_name"],
        c["project_name"],
        c.get("location") or "",
        c["binding_sentence"],
        *c["issuer"].values(),
    ]


def _certificate(c: Mapping[str, Any], sha: str, qr: bytes | None, url: str) -> bytes:
    pdf = base._new_pdf()
    pdf.set_title(f"契約保証予約証書 {c['number']}")
    base._text(pdf, era_date(c["issued_on"]), size=10, align="R")
    base._text(pdf, f"{c['orderer_name']} 殿", size=12)  # addressed to the 発注者, as a 保証証書 is
    base._text(pdf, "契約保証予約証書 (入札ボンド)", size=16, h=10, align="C")
    pdf.ln(2)
    base._row(pdf, "予約番号", c["number"])
    base._row(pdf, "保証契約者", c["contractor_name"])
    base._row(pdf, "発注者", c["orderer_name"])
    base._row(pdf, "工事名", c["project_name"])
    if c.get("location"):
        base._row(pdf, "工事場所", c["location"])
    base._row(pdf, "契約の種類", labels.CONTRACT_TYPE.get(c.get("contract_type"), ""))
    base._row(pdf, "入札日", era_date(c["bid_date"]))
    base._row(pdf, "入札金額", yen(c["bid_amount"]))
    base._row(pdf, "予約する契約保証金額", f"{yen(c['guarantee_amount'])} (入札金額の10分の1)")
    base._row(pdf, "有効期限", f"{era_date(c['valid_until'])} (入札日から90日)")
    pdf.ln(4)
    base._text(pdf, c["binding_sentence"], size=10)
    base._text(
        pdf,
        "本証書は入札保証金に代わるものとして発注者に提出できます。落札後の保証申込でこの予約番号を指定してください。",
        size=9,
    )
    pdf.ln(3)
    issuer = c["issuer"]
    base._ensure_space(pdf, 20)
    base._text(pdf, issuer["address"], size=10)
    base._text(pdf, issuer["name"], size=11)
    base._text(pdf, f"取扱 {issuer['branch']}  TEL: {issuer['phone']}", size=10)
    base._footer(pdf, sha, qr, url)
    return base._finish(pdf)


def _key_notice(c: Mapping[str, Any], sha: str, auth_key: str, qr: bytes, url: str) -> bytes:
    pdf = base._new_pdf()
    pdf.set_title(f"認証キーのお知らせ {c['number']}")
    base._text(pdf, era_date(c["issued_on"]), size=10, align="R")
    base._text(pdf, "電子保証にかかる「認証キー」のお知らせ (契約保証予約)", size=14, h=10, align="C")
    pdf.ln(2)
    base._text(
        pdf,
        "契約保証予約証書を「保証確認サービス (D-Sure)」に掲載しましたので、お知らせします。"
        "入札に際し、このPDFファイルを発注者様にご提出ください (入札ボンド)。",
    )
    pdf.ln(2)
    base._text(pdf, "記", size=11, align="C")
    base._row(pdf, "工事名", c["project_name"])
    base._row(pdf, "受注者名", c["contractor_name"])
    base._row(pdf, "商品(保証区分)", c["product_name"])
    base._row(pdf, "予約番号", c["number"])
    base._row(pdf, "認証キー", auth_key, value_font=base.KEY_FONT, char_spacing=1.2)
    base._row(pdf, "発注者", c["orderer_name"])
    base._row(pdf, "入札日", era_date(c["bid_date"]))
    base._row(pdf, "有効期限", era_date(c["valid_until"]))
    pdf.ln(3)
    base._text(pdf, "【発注者様へのお願い】", size=10)
    base._text(
        pdf,
        "「保証確認サービス (D-Sure)」にログインし、上記の「予約番号」と「認証キー」をもって予約証書を閲覧ください。",
    )
    issuer = c["issuer"]
    base._ensure_space(pdf, 14)
    base._text(pdf, issuer["name"], size=11, align="R")
    base._text(pdf, f"{issuer['branch']}  TEL: {issuer['phone']}", size=10, align="R")
    base._footer(pdf, sha, qr, url)
    return base._finish(pdf)


def render_reservation(content: Mapping[str, Any], sha: str, auth_key: str | None) -> base.Documents:
    """The 予約証書 and, when electronic, its key notice. Raises UnsupportedCharacters rather than drop text."""
    check_drawable(_texts(content) + [auth_key or ""])
    electronic = content["form"] == "electronic"
    url = base.verify_url(content["number"])
    qr = base.qr_png(url) if electronic else None
    cert = _certificate(content, sha, qr, url)
    notice = _key_notice(content, sha, auth_key, qr, url) if electronic and auth_key and qr else None
    return base.Documents(cert, notice)


def render_fee_statement(
    *,
    issued_on: str,
    contractor_name: str,
    project_name: str,
    subject_label: str,
    lines: Sequence[Mapping[str, Any]],
    total: int,
    paid_on: str | None,
    waived: Mapping[str, Any] | None,
    bank: Mapping[str, str],
    issuer: Mapping[str, str],
) -> bytes:
    """保証料計算書: who, which work, each product's basis, rate(s) and amount, the total and 振込先."""
    texts = [contractor_name, project_name, *bank.values(), *issuer.values(), str((waived or {}).get("reason") or "")]
    check_drawable(texts)
    pdf = base._new_pdf()
    pdf.set_title("保証料計算書")
    base._text(pdf, era_date(issued_on), size=10, align="R")
    base._text(pdf, "保証料計算書", size=16, h=10, align="C")
    pdf.ln(2)
    base._row(pdf, "保証契約者", f"{contractor_name} 様")
    base._row(pdf, "工事名", project_name)
    base._row(pdf, "対象", subject_label)
    pdf.ln(3)
    for line in lines:
        base._text(pdf, f"■ {line['label']}", size=11)
        base._row(pdf, "算定の基礎", f"{line['basis_label']} {yen(line['basis'])} / 保証期間 {line['days']}日")
        rates = "\n".join(
            f"{yen(s['lower'])}超"
            + (f"{yen(s['upper'])}以下" if s["upper"] else "")
            + f" の部分 {yen(s['portion'])} × {rate_percent(s['rate'])}"
            for s in line["slices"]
        )
        base._row(pdf, "料率", rates or "-")
        amount = yen(line["amount"])
        if line["amount"] > line["computed"]:
            amount += f" (最低保証料 {yen(line['minimum_fee'])} を適用)"
        base._row(pdf, "保証料", amount)
        pdf.ln(2)
    base._row(pdf, "合計", yen(total))
    if waived:
        base._row(pdf, "免除", f"免除済み (理由: {waived.get('reason')})")
    elif paid_on:
        base._row(pdf, "入金", f"{era_date(paid_on)} 入金確認済み")
    pdf.ln(3)
    base._text(pdf, "【お振込先】", size=10)
    base._row(pdf, "振込先", f"{bank['bank']} {bank['branch']} {bank['account']}")
    base._row(pdf, "口座名義", bank["holder"])
    base._text(pdf, "保証料の入金を確認した後に保証契約を締結 (証書を発行) します。", size=9)
    base._text(
        pdf,
        "※ 料率はデモ用の例示であり、実際の保証料率ではありません。端数は100円未満切り捨て、最低保証料あり。",
        size=9,
    )
    pdf.ln(3)
    base._ensure_space(pdf, 14)
    base._text(pdf, issuer["name"], size=11, align="R")
    base._text(pdf, f"{issuer['branch']}  TEL: {issuer['phone']}", size=10, align="R")
    return base._finish(pdf)
