"""Issue 2: a person logs in through the Net Desk login page in headless Chromium."""

from __future__ import annotations

import pytest

from tests.e2e.browser import browser_page, check_page, login_via_page  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_contractor_logs_in_and_out_through_the_page(stack, browser_page):  # noqa: F811
    page = browser_page
    login_via_page(page, stack.base, "netdesk", "demo-contractor", "demo-pass-1")
    assert page.url.rstrip("/").endswith("/netdesk")
    assert "ようこそ、ネットデスクへ" in page.content()
    assert "〇〇建設 株式会社 様" in page.content()
    page.click("text=ログアウト")
    page.wait_for_load_state()
    assert "/netdesk/login" in page.url


def test_wrong_password_shows_a_japanese_error(stack, browser_page):  # noqa: F811
    page = browser_page
    login_via_page(page, stack.base, "netdesk", "demo-contractor", "wrong-password")
    assert "ログインIDまたはパスワードが正しくありません" in page.content()
    check_page(page, "netdesk-login-wrong-password", folder="login")
