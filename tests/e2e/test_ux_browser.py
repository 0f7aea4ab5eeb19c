"""Issue 16 in Chromium at 390 px (a phone) and 1280 px (a desk): every page of the journey fits
its viewport and is screenshotted to build/screenshots/, the QR link survives login, a session
that ends mid-form comes back to 申込確認 with the values, and an Excel CP932 CSV with the
Japanese header is read as its data lines only.

One browser for the module, one context per viewport; the local stack is the session's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.e2e.browser import check_page, login_via_page
from tests.e2e.rows import put_guarantee

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

KEY = "Z28YUE4J3Bux"
WIDTHS = {390: 844, 1280: 900}
LOGINS = {
    "netdesk": ("demo-contractor", "demo-pass-1"),
    "dsure": ("kasama", "demo-pass-4"),
    "staff": ("ibaraki-staff", "demo-pass-3"),
}
APPLICATION = {
    "project": {"name": "5市単(笠建)第〇-〇号道路改良工事 (ブラウザ確認用の少し長い工事名: 歩道設置及び舗装補修を含む)",
                "orderer_id": "08216", "contract_type": "construction",
                "jv_name": "〇〇・△△特定建設工事共同企業体", "contract_amount": 50000000,
                "period_start": "2026-12-01", "period_end": "2027-11-15", "location": "茨城県笠間市〇〇"},
    "advance_payment": {"amount": 20000000, "this_year_amount": None, "intermediate_amount": None,
                        "deposit_bank": "〇〇銀行 ××支店", "redeposit": False, "fee_payment": "lump_sum",
                        "intermediate": False, "intermediate_planned": False, "form": "electronic"},
    "contract_guarantee": {"amount": 5000000, "fee_payment": "lump_sum", "form": "electronic", "low_bid": False},
    "bid": {"order_type": "general", "award_date": "20261030", "rounds": 1, "bidders": 5, "disqualified": 0,
            "second_bidder": "△△工業", "second_amount_k": 49500, "highest_bidder": "□□建設", "highest_amount_k": 52000},
    "delivery": {"branch_id": "ibaraki", "receipt": "mail", "receipt_date": "2026-12-10", "notify": True,
                 "email": "soumu@example.co.jp",
                 "mail_to": {"name": "〇〇建設 株式会社", "postal_code": "309-1792", "address": "茨城県笠間市〇〇0-00-0"}},
}  # fmt: skip


@pytest.fixture(scope="module")
def browser(chromium):
    """The session's one Chromium (tests/e2e/browser.py): a second sync Playwright in one process fails."""
    return chromium


def new_page(browser, width: int):
    context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": WIDTHS[width]})
    page = context.new_page()
    page.set_default_timeout(20000)
    return context, page


def log_in(page, base: str, audience: str) -> None:
    login_via_page(page, base, audience, *LOGINS[audience])  # staff: the TOTP second step too


class Journey:
    """Visits pages at one width and runs the page check (tests/e2e/browser.py) on each."""

    def __init__(self, page, width: int) -> None:
        self.page, self.width = page, width

    def check(self, name: str) -> None:
        # axe-core on the phone pass (the desk pass shows the same states), the phone checks, the screenshot
        check_page(self.page, name, accessibility=self.width == min(WIDTHS))

    def visit(self, name: str, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status < 400, (name, url, response and response.status)
        self.check(name)


def _seed(stack, width: int) -> dict[str, str]:
    """Per width: a submitted, a rejected and a verified guarantee, so every page has content."""
    contractor = {"Authorization": f"Bearer {stack.login('demo-contractor', 'demo-pass-1')}"}
    staff = {"Authorization": f"Bearer {stack.login('ibaraki-staff', 'demo-pass-3')}"}
    submitted = requests.post(stack.url("/api/applications"), json=APPLICATION, headers=contractor, timeout=30).json()[
        "id"
    ]
    rejected = requests.post(stack.url("/api/applications"), json=APPLICATION, headers=contractor, timeout=30).json()[
        "id"
    ]
    resp = requests.post(
        stack.url(f"/api/staff/applications/{rejected}/reject"),
        json={"reason": "請負金額の記載をご確認ください。"},
        headers=staff,
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    number = f"30026-{7000 + width:06d}M"
    put_guarantee(stack, number, auth_key=KEY, project_name=APPLICATION["project"]["name"])
    return {"submitted": submitted, "rejected": rejected, "number": number}


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_every_page_of_the_journey_fits_the_viewport(stack, browser, width):
    data = _seed(stack, width)
    base, number = stack.base, data["number"]
    context, page = new_page(browser, width)
    j = Journey(page, width)
    try:
        # Net Desk
        j.visit("netdesk-login", f"{base}/netdesk/login")
        log_in(page, base, "netdesk")
        j.check("netdesk-top")
        j.visit("netdesk-new", f"{base}/netdesk/applications/new")
        page.fill("#f-advance_payment-amount", "-5")
        page.click("#to-confirm")
        j.check("netdesk-new-errors")
        assert page.evaluate("document.activeElement.id") == "error-summary"  # focus moved to the summary
        assert "前払金保証金額: 0円より大きい金額を入力してください。" in page.inner_text("#error-summary")
        j.visit("netdesk-copy", f"{base}/netdesk/applications/new?copy={data['submitted']}")
        page.click("#to-confirm")
        j.check("netdesk-confirm")
        page.click("#send")
        j.check("netdesk-done")
        j.visit("netdesk-applications", f"{base}/netdesk/applications")
        j.visit("netdesk-application-rejected", f"{base}/netdesk/applications/{data['rejected']}")
        assert "差戻し" in page.inner_text("main")
        j.visit("netdesk-guarantees", f"{base}/netdesk/guarantees")
        j.visit("netdesk-guarantee", f"{base}/netdesk/guarantees/{number}")
        j.visit("netdesk-certificate", f"{base}/netdesk/guarantees/{number}/certificate?version=1")
        j.visit("netdesk-orderers", f"{base}/netdesk/orderers")
        j.visit("netdesk-history", f"{base}/netdesk/history")
        assert "電子保証履歴一覧" in page.inner_text("h1") and "ページ(" in page.inner_text("#page-total")
        j.visit("netdesk-help", f"{base}/netdesk/help")
        # the header's ログアウト stays on one line
        box = page.locator("button.logout").bounding_box()
        assert box and box["height"] < 40 and box["width"] > box["height"], box

        # D-Sure
        context.clear_cookies()
        j.visit("dsure-login", f"{base}/dsure/login")
        log_in(page, base, "dsure")
        j.check("dsure-top")
        j.visit("dsure-verify", f"{base}/dsure/verify?number={number}")
        page.fill("#auth_key", "wrongkey2345")
        page.click("form.verify button[type=submit]")
        j.check("dsure-verify-wrong-key")
        assert "大文字と小文字を区別します" in page.inner_text(".errors")
        page.fill("#number", number)
        page.fill("#auth_key", KEY)
        page.click("form.verify button[type=submit]")
        j.check("dsure-verify-result")
        assert page.inner_text("#status").startswith("有効")
        j.visit("dsure-bulk", f"{base}/dsure/bulk")
        page.fill("#csv", f"{number},{KEY}\n30026-999999M,{KEY}\n")
        page.click("form.bulk button[type=submit]")
        j.check("dsure-bulk-result")
        j.visit("dsure-inbox", f"{base}/dsure/inbox")
        # /verify/pdf (issue 31, no login): the form, and a verdict after an upload
        j.visit("verify-pdf", f"{base}/verify/pdf")
        unsigned = {"name": "unsigned.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        page.set_input_files("#pdf_file", files=[unsigned])
        page.click("form.verify-pdf button[type=submit]")
        j.check("verify-pdf-result")
        assert "電子署名がありません" in page.inner_text(".pdf-result")

        # staff (only the 390 px fit is this business)
        context.clear_cookies()
        j.visit("staff-login", f"{base}/staff/login")
        log_in(page, base, "staff")
        j.check("staff-top")
        j.visit("staff-applications", f"{base}/staff/applications")
        j.visit("staff-application", f"{base}/staff/applications/{data['submitted']}")
        j.visit("staff-rejected", f"{base}/staff/applications?status=rejected")
        j.visit("staff-guarantee", f"{base}/staff/guarantees/{number}")
        j.visit("staff-search", f"{base}/staff/guarantees?number={number}")
        j.visit("staff-approvals", f"{base}/staff/approvals")
        j.visit("staff-audit", f"{base}/staff/audit")
    finally:
        context.close()


def test_the_qr_link_journey_keeps_the_number(stack, browser):
    number = "30026-007777M"
    put_guarantee(stack, number, auth_key=KEY)
    context, page = new_page(browser, 390)
    try:
        page.goto(f"{stack.base}/dsure/verify?number={number}")  # what the QR code on the PDF opens
        assert "/dsure/login" in page.url
        page.fill("#login", "kasama")
        page.fill("#password", "demo-pass-4")
        page.click("form.login button[type=submit]")
        page.wait_for_load_state()
        assert page.url.endswith(f"/dsure/verify?number={number}")
        assert page.input_value("#number") == number
        assert page.evaluate("document.activeElement.id") == "auth_key"  # straight to the key
    finally:
        context.close()


def test_session_expiry_during_the_form_returns_to_confirm_with_the_values(stack, browser):
    contractor = {"Authorization": f"Bearer {stack.login('demo-contractor', 'demo-pass-1')}"}
    app_id = requests.post(stack.url("/api/applications"), json=APPLICATION, headers=contractor, timeout=30).json()[
        "id"
    ]
    context, page = new_page(browser, 390)
    try:
        log_in(page, stack.base, "netdesk")
        page.goto(f"{stack.base}/netdesk/applications/new?copy={app_id}")
        page.fill("#f-project-name", "期限切れでも消えない工事")
        page.fill("#f-bid-award_date", "20231030")
        assert page.inner_text("#f-bid-award_date-era") == "令和5年10月30日"  # the live era echo
        context.clear_cookies(name="esurety_session")  # the session ends while the person types
        page.click("#to-confirm")
        page.wait_for_load_state()
        assert "/netdesk/login" in page.url
        assert "入力中の内容は一時保存しています" in page.inner_text("#login-notice")
        page.fill("#login", "demo-contractor")
        page.fill("#password", "demo-pass-1")
        page.click("form.login button[type=submit]")
        page.wait_for_load_state()
        text = page.inner_text("main")
        assert "申込確認" in text and "復元しました" in text
        assert "期限切れでも消えない工事" in text and "令和5年10月30日" in text and "20,000,000円" in text
        Journey(page, 390).check("netdesk-confirm-after-expiry")
        page.click("#send")
        page.wait_for_load_state()
        assert "送信完了" in page.inner_text("main")
    finally:
        context.close()


def test_an_excel_cp932_csv_with_the_japanese_header(stack, browser):
    numbers = ["30026-007801M", "30026-007802M"]
    for n in numbers:
        put_guarantee(stack, n, auth_key=KEY)
    data = (
        "保証契約番号,認証キー\r\n" + "".join(f"{n},{KEY}\r\n" for n in numbers) + "\r\n30026-999998M,WRONGkey2345\r\n"
    ).encode("cp932")
    context, page = new_page(browser, 1280)
    try:
        log_in(page, stack.base, "dsure")
        page.goto(f"{stack.base}/dsure/bulk")
        page.set_input_files("#csv_file", files=[{"name": "一括確認.csv", "mimeType": "text/csv", "buffer": data}])
        page.click("form.bulk button[type=submit]")
        page.wait_for_load_state()
        rows = page.locator("table.bulk-result tr[class^=result-]")
        assert rows.count() == 3  # one per data line: the header and the blank line are not rows
        assert [rows.nth(i).get_attribute("class") for i in range(3)] == [
            "result-valid",
            "result-valid",
            "result-not_found",
        ]
        # the header never counted toward the lockout
        key = "verify:kasama:保証契約番号"
        table = "esurety-local-attempts"
        assert "Item" not in stack.dynamodb().get_item(TableName=table, Key={"key": {"S": key}})
        with page.expect_download() as info:
            page.click("#download-results")
        saved = Path(info.value.path()).read_bytes()
        assert saved.startswith(b"\xef\xbb\xbf") and re.search(rb"30026-007801M,\xe6\x9c\x89\xe5\x8a\xb9", saved)
    finally:
        context.close()
