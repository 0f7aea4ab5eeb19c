"""Every mail in one house style: addressee, greeting, the number, the signature and the branch's
contact block (the completion mails, the staff-event notices and the account mails alike)."""

from __future__ import annotations

import pytest

from chalicelib import settings
from chalicelib.render import mail
from chalicelib.render.templates import render

CONTENT = {
    "number": "30026-000001M",
    "product_name": "前払金保証",
    "contractor_name": "〇〇建設 株式会社",
    "project_name": "道路改良工事",
    "orderer_name": "笠間市長",
    "guarantee_amount": 20000000,
    "deadline": "2027-11-15",
    "version": 1,
    "jv_name": None,
    "reason": None,
    "kind": "advance_payment",
    "issuer": settings.current().issuer,
}


def assert_house_style(text: str, addressee: str, number: str) -> None:
    s = settings.current()
    assert text.startswith(f"{addressee} 様\n"), text[:40]
    assert "平素より格別のお引き立てを賜り" in text or "ご利用いただき" in text
    assert number in text
    tail = text[text.index("\n--\n") :]  # the signature, then the branch's contact block
    for part in (s.issuer_name, s.issuer_branch, s.issuer_address, f"TEL: {s.issuer_phone}", s.issuer_fax):
        assert part in tail, part


@pytest.mark.parametrize(("form", "kind"), sorted(mail.SUBJECTS))
def test_every_completion_mail_has_the_house_style(form, kind):
    out = mail.compose(CONTENT, version_kind=kind, form=form, guarantee_url="https://x/g", previous=CONTENT)
    assert_house_style(out.text, "〇〇建設 株式会社", "保証契約番号: 30026-000001M")
    assert settings.current().issuer_address in out.html


def test_the_key_reissue_notice_greets_the_contractor_and_names_both_numbers():
    text = mail.compose_notice(
        "key_reissued",
        addressee="〇〇建設 株式会社",
        number="30026-000001M",
        application_id="7d2196a1ffffffffffff",
        project_name="道路改良工事",
        reason=None,
        url="https://x/g",
    )
    assert_house_style(text, "〇〇建設 株式会社", "保証契約番号: 30026-000001M")
    assert "申込番号: 7D21-96A1" in text and "認証キーを再発行しました" in text


def test_the_rejection_notice_has_the_application_number_and_the_reason():
    text = mail.compose_notice(
        "application_rejected",
        addressee=None,  # a row written before the addressee was kept
        number=None,
        application_id="7d2196a1ffffffffffff",
        project_name="道路改良工事",
        reason="請負金額をご確認ください。",
        url="https://x/a",
    )
    assert_house_style(text, "ご担当者", "申込番号: 7D21-96A1")
    assert "請負金額をご確認ください。" in text


def test_the_account_mail_has_the_same_signature_and_contact_block():
    s = settings.current()
    text = render(
        "email/account/link.txt",
        subject="s",
        lead="l",
        person="山田 太郎",
        login="yamada",
        url="https://x/s",
        hours=24,
        issuer=s.issuer,
        fax=s.issuer_fax,
    )
    assert_house_style(text, "山田 太郎", "ログインID: yamada")


DELIVERY_NOTICES = {
    # kind: (addressee, event, what the lead says, what the body names)
    "delivery_created": ("笠間市長 土木課", "new", "貴部署に提出されました", "到着確認のお電話は不要です"),
    "delivery_changed": ("笠間市長 土木課", "change", "変更され、新しい版 (第2版)", "保証金額: 2,000万円 → 1,500万円"),
    "delivery_received": ("〇〇建設 株式会社", "new", "発注者が受領しました", "受領した部署: 土木課"),
    "delivery_returned": ("〇〇建設 株式会社", "new", "差し戻されました", "金額の誤り"),
}


@pytest.mark.parametrize("kind", sorted(DELIVERY_NOTICES))
def test_every_delivery_notice_has_the_house_style_and_no_key(kind):
    addressee, event, lead, named = DELIVERY_NOTICES[kind]
    text = mail.compose_notice(
        kind,
        addressee=addressee,
        number="30026-000001M",
        application_id=None,
        project_name="道路改良工事",
        reason="保証金額: 2,000万円 → 1,500万円" if kind == "delivery_changed" else "金額の誤り",
        url="https://x/d",
        version=2 if kind == "delivery_changed" else 1,
        event=event,
        department_name="土木課",
    )
    assert_house_style(text, addressee, "保証契約番号: 30026-000001M")
    assert lead in text and named in text and "工事名: 道路改良工事" in text and "https://x/d" in text
    assert "認証キー:" not in text  # the mail never carries a key, and has no place for one


def test_a_key_reissue_tells_the_department_its_delivery_is_open_again():
    text = mail.compose_notice(
        "delivery_changed",
        addressee="笠間市長 土木課",
        number="30026-000001M",
        application_id=None,
        project_name="道路改良工事",
        reason=None,
        url="https://x/d",
        version=1,
        event="key_reissued",
    )
    assert_house_style(text, "笠間市長 土木課", "保証契約番号: 30026-000001M (第1版)")
    assert "認証キーが再発行されました" in text and "「未受領」に戻りました" in text and "変更された項目" not in text
