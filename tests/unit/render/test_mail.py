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
