"""Issue 7: an orderer verifies a guarantee through the D-Sure pages in headless Chromium."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.browser import browser_page, login_via_page  # noqa: F401 - fixture
from tests.e2e.rows import put_guarantee

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

KEY = "Z28YUE4J3Bux"


def test_kasama_verifies_a_guarantee_and_sees_the_valid_certificate(stack, browser_page):  # noqa: F811
    number = "30026-000901M"
    put_guarantee(stack, number, auth_key=KEY)
    page = browser_page
    login_via_page(page, stack.base, "dsure", "kasama", "demo-pass-4")
    page.goto(f"{stack.base}/dsure/verify?number={number}")
    assert page.input_value("#number") == number  # the QR code's link fills the number in
    page.fill("#auth_key", KEY)
    page.click("form.verify button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#status").startswith("有効")
    text = page.inner_text("main")
    assert "保証証書 (前払金保証)" in text and number in text and "笠間市長" in text
    assert "証書の履歴" in text and "新規" in text


def test_a_wrong_key_shows_a_message_that_does_not_say_which_part(stack, browser_page):  # noqa: F811
    number = "30026-000902M"
    put_guarantee(stack, number, auth_key=KEY)
    page = browser_page
    login_via_page(page, stack.base, "dsure", "kasama", "demo-pass-4")
    page.goto(f"{stack.base}/dsure/verify?number={number}")
    page.fill("#auth_key", "WRONGKEY2345")
    page.click("form.verify button[type=submit]")
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "保証契約番号または認証キーが正しくないか、確認できる保証がありません。" in text
    assert "有効" not in page.inner_text(".errors")


def test_verify_api_on_the_stack_and_the_access_log(stack):
    number = "30026-000903M"
    put_guarantee(stack, number, auth_key=KEY)
    token = stack.login("kasama", "demo-pass-4")
    headers = {"Authorization": f"Bearer {token}"}
    ok = requests.post(stack.url("/api/verify"), json={"number": number, "auth_key": KEY}, headers=headers, timeout=10)
    assert ok.status_code == 200 and ok.json()["status"] == "valid"
    inbox = requests.get(stack.url("/api/orderer/guarantees"), headers=headers, timeout=10).json()
    assert number in [i["number"] for i in inbox["items"]]
