"""Issue 14 in Chromium, as two clerks of one branch would use the console: the queue and the
review → 発行 → search by the number as a person types it → 変更 with its confirmation (before →
after) → 取消 asked by ibaraki-staff and approved by ibaraki-chief (決裁) → the contractor's page
shows no key and D-Sure says 取消.

The session's one Chromium (tests/e2e/browser.py), a browser context per person.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.e2e.browser import check_page, login_via_page
from tests.factories import application_body

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _person(chromium, base: str, audience: str, login: str, password: str):
    context = chromium.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    login_via_page(page, base, audience, login, password)  # staff: the TOTP second step too
    return context, page


def _shot(page, name: str) -> None:
    check_page(page, name, folder="staff-console")  # axe-core and the screenshot (tests/e2e/browser.py)


def test_two_clerks_review_issue_change_and_cancel_through_the_console(stack, chromium):
    contractor_token = stack.login("demo-contractor", "demo-pass-1")
    project = "ブラウザ確認 市道改良工事"
    body = application_body(contract_guarantee=None, project__name=project)
    created = requests.post(
        stack.url("/api/applications"),
        json=body,
        headers={"Authorization": f"Bearer {contractor_token}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    # Issue 17: no guarantee before its 保証料 — the contractor has paid and a clerk recorded it
    # (the reservation browser test walks the payment form itself).
    paid = requests.post(
        stack.url(f"/api/staff/applications/{app_id}/payment"),
        json={"amount": created.json()["fees"]["total"], "paid_on": time.strftime("%Y-%m-%d", time.localtime())},
        headers={"Authorization": f"Bearer {stack.login('ibaraki-staff', 'demo-pass-3')}"},
        timeout=30,
    )
    assert paid.status_code == 200, paid.text
    people = []
    try:
        # ibaraki-staff: the queue on the console's top, the full review, 発行.
        ctx, staff = _person(chromium, stack.base, "staff", "ibaraki-staff", "demo-pass-3")
        people.append(ctx)
        staff.goto(f"{stack.base}/staff")
        assert "審査待ち" in staff.content() and "決裁待ち" in staff.content()
        staff.click(f"a[href='/staff/applications/{app_id}']")
        staff.wait_for_load_state()
        review = staff.content()
        for text in ("笠間市長 (08216)", "茨城支店", "入札の状況", "受取方法", "中間前払金", "再預託", "契約の種類"):
            assert text in review, text
        _shot(staff, "review")
        staff.click("#issue-application")  # the confirmation page: who, what, how much, then 発行する
        staff.wait_for_load_state()
        assert "保証を発行します" in staff.content() and "〇〇建設" in staff.content()
        _shot(staff, "confirm-issue")
        staff.click("#confirm-button")
        staff.wait_for_load_state()
        assert staff.url.endswith(f"/staff/applications/{app_id}/issued")
        number = staff.locator("td a[href^='/staff/guarantees/']").first.inner_text()
        key = staff.locator("span.key").first.inner_text()
        assert re.fullmatch(r"\d{5}-\d{6}[A-Z]", number) and len(key) == 12

        # The search, by the number as a person types it (spaces, lower case, full width).
        staff.goto(f"{stack.base}/staff")
        full_width = str.maketrans("0123456789", "０１２３４５６７８９")
        typed = f" {number[:6]}{number[6:].lower().translate(full_width)} "  # e.g. " 30026-０００００１m "
        staff.fill("#number", typed)
        staff.click("form.search button[type=submit]")
        staff.wait_for_load_state()
        staff.click(f"a[href='/staff/guarantees/{number}']")
        staff.wait_for_load_state()
        assert f"/staff/applications/{app_id}" in staff.content()  # back to its application

        # 変更 with its confirmation: nothing is written until 確定する.
        staff.check("input[name=kind][value=change]")
        staff.fill("#guarantee_amount", "15000000")
        staff.fill("#reason", "減額")
        staff.click("button:has-text('記録する')")
        staff.wait_for_load_state()
        confirm = staff.content()
        assert "20,000,000円" in confirm and "15,000,000円" in confirm  # before → after
        _shot(staff, "confirm-change")
        staff.click("#confirm button[type=submit]")
        staff.wait_for_load_state()
        assert f"/staff/guarantees/{number}?done=change" in staff.url and "減額" in staff.content()
        assert "変更の版を記録しました" in staff.inner_text("#done")

        # 取消, asked for: the confirmation states the consequences, then it waits for 決裁.
        staff.check("input[name=kind][value=cancellation]")
        staff.fill("#reason", "契約解除")
        staff.click("button:has-text('記録する')")
        staff.wait_for_load_state()
        assert number in staff.content() and "取消" in staff.content()
        staff.click("#confirm button[type=submit]")
        staff.wait_for_load_state()
        assert "決裁待ち" in staff.content()
        staff.goto(f"{stack.base}/staff/approvals")
        assert "ご自身の依頼です" in staff.content()  # the requester cannot approve it

        # ibaraki-chief approves it.
        ctx, chief = _person(chromium, stack.base, "staff", "ibaraki-chief", "demo-pass-6")
        people.append(ctx)
        chief.goto(f"{stack.base}/staff/approvals")
        row = chief.locator("tr", has_text=number)
        row.locator("button:has-text('承認して取消を実行')").click()
        chief.wait_for_load_state()
        assert "決裁を承認します" in chief.content() and number in chief.content()
        chief.click("#confirm-button")
        chief.wait_for_load_state()
        assert "決裁を承認しました" in chief.content() and number in chief.content()
        _shot(chief, "approved-cancellation")

        # The contractor's page: no key, no 「発注者にお知らせください」.
        ctx, contractor = _person(chromium, stack.base, "netdesk", "demo-contractor", "demo-pass-1")
        people.append(ctx)
        contractor.goto(f"{stack.base}/netdesk/guarantees/{number}")
        page = contractor.content()
        assert "取り消されました" in page
        assert (
            key not in page and "発注者にお知らせください" not in page and contractor.locator("#auth-key").count() == 0
        )
        _shot(contractor, "contractor-cancelled")

        # D-Sure: the orderer's check says 取消.
        ctx, orderer = _person(chromium, stack.base, "dsure", "kasama", "demo-pass-4")
        people.append(ctx)
        orderer.goto(f"{stack.base}/dsure/verify?number={number}")
        orderer.fill("#auth_key", key)
        orderer.click("form.verify button[type=submit]")
        orderer.wait_for_load_state()
        assert "取消" in orderer.locator("#status").inner_text()
        assert "取り消されています" in orderer.content()
        _shot(orderer, "dsure-cancelled")
    finally:
        for ctx in people:
            ctx.close()
