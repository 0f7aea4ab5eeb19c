"""issue 17 in headless Chromium on the local stack: reserve → staff pays and issues → the 契約保証予約
tab lists it → D-Sure verifies it as valid → apply citing it (prefilled) → pay → issue → D-Sure says
`used` for the reservation and valid for the new 契約保証.

Issue 27 on the same walk: the contractor finds the fee, its state and the 振込先 from 申込詳細 (for the
reservation and for the application, never the 送信完了 page), and every staff write goes through its
confirmation page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from chalicelib.domain import clock
from chalicelib.services.fee_statements import PAYEE
from tests.e2e.browser import check_page, login_via_page, submit_and_wait

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _page(chromium):
    context = chromium.new_context(locale="ja-JP", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _submit(page, selector: str) -> None:
    """Submit and wait for the page the form leads to: its state, never a time."""
    submit_and_wait(page, selector)


def _verify(page, base: str, number: str, key: str) -> str:
    page.goto(f"{base}/dsure/verify?number={number}")
    page.fill("#auth_key", key)
    _submit(page, "form.verify button[type=submit]")
    expect(page.locator("#status")).to_have_count(1)
    return page.inner_text("#status")


def _confirmed(page, selector: str) -> None:
    """A staff write: its button shows the confirmation page, whose button writes."""
    _submit(page, selector)
    expect(page.locator("#consequence")).to_have_count(1)
    _submit(page, "#confirm-button")


def _pay_and_issue(page, base: str, path: str) -> None:
    page.goto(base + path)
    expect(page.locator("#fee-state")).to_contain_text("未入金")
    page.fill("#fee-paid_on", clock.today().isoformat())
    _confirmed(page, "#record-payment")
    expect(page.locator("#fee-state")).to_contain_text("入金済み")
    expect(page.locator("#done")).to_contain_text("入金を記録しました")


def _fee_from_detail(page, base: str, list_path: str, link: str, state: str) -> None:
    """The contractor, from a list, opens 申込詳細 and finds the fee, its state and (unpaid) the 振込先."""
    page.goto(base + list_path)
    _submit(page, link)
    expect(page.locator("#fee-state")).to_contain_text(state)
    if state == "未入金":
        expect(page.locator("#payee")).to_contain_text(PAYEE["account"])
        expect(page.locator("#fee-statement")).to_have_count(1)
    else:
        expect(page.locator("#payee")).to_have_count(0)


def test_reserve_issue_verify_convert_and_verify_used(stack, chromium):  # chromium: the e2e conftest's one per session
    today = clock.today()
    contexts = []
    try:
        ctx, contractor = _page(chromium)
        contexts.append(ctx)
        ctx, staff = _page(chromium)
        contexts.append(ctx)
        ctx, orderer = _page(chromium)
        contexts.append(ctx)
        login_via_page(contractor, stack.base, "netdesk", "demo-contractor", "demo-pass-1")
        login_via_page(staff, stack.base, "staff", "ibaraki-staff", "demo-pass-3")
        login_via_page(orderer, stack.base, "dsure", "kasama", "demo-pass-4")

        # 1. the contractor reserves (three steps)
        contractor.goto(stack.url("/netdesk/reservations/new"))
        check_page(contractor, "reservation-new", folder="reservation")
        contractor.fill("#f-project-name", "笠間市入札ボンド道路改良工事")
        contractor.select_option("#f-project-orderer_id", "08216")
        contractor.check("input[name='project.contract_type'][value='construction']")
        contractor.fill("#f-project-bid_date", today.isoformat())
        contractor.fill("#f-project-location", "茨城県笠間市〇〇")
        contractor.fill("#f-bid_amount", "50,000,000")
        contractor.check("input[name='form'][value='electronic']")
        contractor.select_option("#f-delivery-branch_id", "ibaraki")
        contractor.check("input[name='delivery.receipt'][value='counter']")
        contractor.fill("#f-delivery-visit_date", (today + dt.timedelta(days=2)).isoformat())
        contractor.fill("#f-delivery-visit_time", "10:00")
        contractor.check("input[name='delivery.notify'][value='false']")
        contractor.fill("#f-delivery-mail_to-postal_code", "309-1792")
        contractor.fill("#f-delivery-mail_to-address", "茨城県笠間市中央三丁目2番1号")
        _submit(contractor, "#to-confirm")
        assert "申込確認" in contractor.inner_text("h1"), contractor.inner_text("main")
        assert "令和" in contractor.inner_text("#bid-date")
        assert "契約保証予約手数料" in contractor.inner_text("#fee-quote")
        check_page(contractor, "reservation-confirm", folder="reservation")
        _submit(contractor, "#send")
        reservation_id = contractor.locator("#reservation-id").text_content()
        check_page(contractor, "reservation-done", folder="reservation")
        bond_detail = f"a[href='/netdesk/reservations/{reservation_id}']"
        _fee_from_detail(contractor, stack.base, "/netdesk/guarantees?tab=bond", bond_detail, "未入金")

        # 2. staff record the 予約手数料 and issue the 予約証書
        _pay_and_issue(staff, stack.base, f"/staff/reservations/{reservation_id}")
        check_page(staff, "staff-reservation-paid", folder="reservation")
        expect(staff.locator("#applicant-name")).to_contain_text("建設")  # who applied, by name
        _confirmed(staff, "#issue-reservation")
        check_page(staff, "staff-reservation-issued", folder="reservation")
        number = staff.inner_text("#reservation-number")
        key = staff.inner_text("#reservation-key")
        assert number.endswith("Y")

        # 3. the 契約保証予約(入札ボンド) tab lists it
        contractor.goto(stack.url("/netdesk/guarantees?tab=bond"))
        assert number in contractor.inner_text("table.reservations")
        check_page(contractor, "netdesk-bond-tab", folder="reservation")

        # 4. D-Sure: valid
        assert _verify(orderer, stack.base, number, key).startswith("有効")

        # 5. after winning: the application, prefilled from the reservation, cites it
        contractor.goto(stack.url(f"/netdesk/applications/new?reservation={number}"))
        assert contractor.input_value("#f-contract_guarantee-reservation_number") == number
        assert contractor.input_value("#f-project-name") == "笠間市入札ボンド道路改良工事"
        check_page(contractor, "netdesk-new-from-reservation", folder="reservation")
        contractor.fill("#f-project-period_start", (today + dt.timedelta(days=7)).isoformat())
        contractor.fill("#f-project-period_end", (today + dt.timedelta(days=300)).isoformat())
        contractor.uncheck("input[name='advance_payment.requested']")
        contractor.check("input[name='contract_guarantee.fee_payment'][value='lump_sum']")
        contractor.check("input[name='contract_guarantee.form'][value='electronic']")
        contractor.check("input[name='bid.order_type'][value='general']")
        contractor.fill("#f-bid-award_date", today.isoformat())
        contractor.check("input[name='delivery.receipt'][value='counter']")
        contractor.fill("#f-delivery-visit_date", (today + dt.timedelta(days=2)).isoformat())
        contractor.fill("#f-delivery-visit_time", "10:00")
        contractor.check("input[name='delivery.notify'][value='false']")
        contractor.fill("#f-delivery-mail_to-postal_code", "309-1792")
        contractor.fill("#f-delivery-mail_to-address", "茨城県笠間市中央三丁目2番1号")
        _submit(contractor, "#to-confirm")
        assert "申込確認" in contractor.inner_text("h1"), contractor.inner_text("main")
        assert number in contractor.inner_text("main") and "契約保証" in contractor.inner_text("#fee-quote")
        _submit(contractor, "#send")
        application_id = contractor.locator("#application-id").text_content()
        app_detail = f"#app-{application_id} a[href='/netdesk/applications/{application_id}']"
        _fee_from_detail(contractor, stack.base, "/netdesk/applications", app_detail, "未入金")

        # 6. staff: pay, then issue the 契約保証 (each through its confirmation page)
        _pay_and_issue(staff, stack.base, f"/staff/applications/{application_id}")
        _fee_from_detail(contractor, stack.base, "/netdesk/applications", app_detail, "入金済")
        _confirmed(staff, "#issue-application")
        # the issued table's row of the new 契約保証 (a link to its staff page), not another row naming 契約保証
        row = staff.locator("tr", has=staff.locator("a[href*='/staff/guarantees/']"))
        expect(row).to_have_count(1)
        expect(row).to_contain_text("契約保証")
        guarantee_number = row.locator("a").inner_text()
        guarantee_key = row.locator(".key").inner_text()
        check_page(staff, "staff-issued", folder="reservation")

        # 7. D-Sure: the reservation is used, the new guarantee valid
        assert _verify(orderer, stack.base, number, key).startswith("使用済み")
        assert _verify(orderer, stack.base, guarantee_number, guarantee_key).startswith("有効")
    finally:
        for ctx in contexts:
            ctx.close()
