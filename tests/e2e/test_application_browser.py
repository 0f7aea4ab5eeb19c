"""Issue 3: the whole 保証申込 form in headless Chromium, 申込作成 → 申込確認 → 送信完了 → 申込一覧."""

from __future__ import annotations

import pytest

from tests.e2e.browser import browser_page, login_via_page  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_contractor_fills_confirms_and_submits_the_application(stack, browser_page):  # noqa: F811
    page = browser_page
    login_via_page(page, stack.base, "netdesk", "demo-contractor", "demo-pass-1")
    page.goto(stack.url("/netdesk/applications/new"))
    assert "申込作成" in page.content()

    # 請負工事の情報
    page.fill("#f-project-name", "5市単(笠建)第〇-〇号道路改良工事 ブラウザ")
    page.select_option("#f-project-orderer_id", "08216")
    page.check("input[name='project.contract_type'][value='construction']")
    page.fill("#f-project-jv_name", "")
    page.fill("#f-project-contract_amount", "50,000,000")
    page.fill("#f-project-period_start", "2026-12-01")
    page.fill("#f-project-period_end", "2027-11-15")
    page.fill("#f-project-location", "茨城県笠間市〇〇")
    # 前払金保証
    page.check("input[name='advance_payment.requested']")
    page.fill("#f-advance_payment-this_year_amount", "50000000")
    page.fill("#f-advance_payment-amount", "20000000")
    page.fill("#f-advance_payment-deposit_bank", "〇〇銀行 ××支店")
    page.check("input[name='advance_payment.redeposit'][value='false']")
    page.check("input[name='advance_payment.fee_payment'][value='lump_sum']")
    page.check("input[name='advance_payment.intermediate'][value='true']")
    page.fill("#f-advance_payment-intermediate_amount", "10000000")
    page.check("input[name='advance_payment.intermediate_planned'][value='true']")
    page.check("input[name='advance_payment.form'][value='electronic']")
    # 契約保証
    page.check("input[name='contract_guarantee.requested']")
    page.fill("#f-contract_guarantee-amount", "5000000")
    page.check("input[name='contract_guarantee.fee_payment'][value='lump_sum']")
    page.check("input[name='contract_guarantee.low_bid'][value='false']")
    page.check("input[name='contract_guarantee.form'][value='paper']")
    # 入札の状況
    page.check("input[name='bid.order_type'][value='designated']")
    page.fill("#f-bid-award_date", "20261030")
    page.fill("#f-bid-rounds", "1")
    page.fill("#f-bid-bidders", "5")
    page.fill("#f-bid-disqualified", "0")
    page.fill("#f-bid-second_bidder", "△△工業")
    page.fill("#f-bid-second_amount_k", "49500")
    page.fill("#f-bid-highest_bidder", "□□建設")
    page.fill("#f-bid-highest_amount_k", "52000")
    # 申込送信先、保証証書受取
    page.select_option("#f-delivery-branch_id", "ibaraki")
    page.check("input[name='delivery.receipt'][value='mail']")
    page.fill("#f-delivery-receipt_date", "2026-12-10")
    page.check("input[name='delivery.notify'][value='true']")
    page.fill("#f-delivery-email", "soumu@example.co.jp")
    page.fill("#f-delivery-mail_to-name", "〇〇建設 株式会社")
    page.fill("#f-delivery-mail_to-postal_code", "309-1792")
    page.fill("#f-delivery-mail_to-address", "茨城県笠間市〇〇0-00-0")
    page.click("#to-confirm")
    page.wait_for_load_state()

    html = page.content()
    assert "申込確認" in html, html[:3000]
    assert "令和8年10月30日" in html and "令和8年12月1日" in html and "令和9年11月15日" in html
    assert "50,000,000円" in html and "20,000,000円" in html and "10,000,000円" in html
    assert "指名競争入札" in html and "証書(紙)" in html

    # 修正する keeps every value, then back to 申込確認 and 送信.
    page.click("#back-to-edit")
    page.wait_for_load_state()
    assert page.input_value("#f-bid-award_date") == "20261030"
    assert page.input_value("#f-advance_payment-intermediate_amount") == "10000000"
    assert page.is_checked("input[name='contract_guarantee.form'][value='paper']")
    page.click("#to-confirm")
    page.wait_for_load_state()
    page.click("#send")
    page.wait_for_load_state()
    assert "送信完了" in page.content()
    app_id = page.inner_text("#application-id").strip()
    assert app_id

    page.goto(stack.url("/netdesk/applications"))
    row = page.inner_text(f"#app-{app_id}")
    assert "送信済み" in row and "ブラウザ" in row
