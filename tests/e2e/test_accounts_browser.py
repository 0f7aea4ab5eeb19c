"""Issue 13 in Chromium: an invited clerk enrols TOTP by reading the secret from the page,
then logs in at /staff/login with a computed code on the second step."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from chalicelib.domain import totp
from tests.e2e.browser import browser_page, check_page  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e
PASSWORD = "blue-heron-over-kasama-7"


def test_invited_clerk_enrols_totp_from_the_page_and_logs_in_with_a_code(stack, browser_page):  # noqa: F811
    page = browser_page
    admin = stack.login("admin", "demo-pass-7")
    login = f"clerk-{uuid.uuid4().hex[:6]}"
    address = f"{login}@example.jp"
    resp = requests.post(
        stack.url("/api/admin/users"),
        json={"login": login, "name": "新任 職員", "email": address, "role": "staff", "org_id": "ibaraki"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    mails = requests.get(stack.url("/api/dev/outbox"), timeout=10).json()["items"]
    [mail] = [m for m in mails if address in m["to"]]
    link = re.search(r"http://127\.0\.0\.1:\d+(/account/setup\?token=[A-Za-z0-9_-]+)", mail["body"]).group(1)

    page.goto(stack.base + link)
    check_page(page, "account-setup", folder="accounts")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("img[alt*='QR']").count() == 1
    check_page(page, "account-totp", folder="accounts")
    secret = page.inner_text("#totp-secret").strip()

    page.goto(f"{stack.base}/staff/login?next=/staff/applications")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    check_page(page, "staff-login-code", folder="accounts")
    page.fill("#code", totp.code_at(secret, __import__("time").time()))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/staff/applications")
