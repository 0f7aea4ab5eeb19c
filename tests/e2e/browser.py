"""Headless Chromium (Debian's) driven by Playwright; skipped with a reason where it is missing.

One Chromium process serves the session (starting one costs ~1-3 s here); each test gets a
browser context of its own, which is what isolates tests: its own cookies, storage and cache.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def font_environment() -> dict[str, str]:
    """Chromium's environment with fontconfig also reading the fetched IPAex font.

    A fresh Debian has no Japanese font, so screenshots would show boxes; the
    project already fetches IPAex (for the PDFs), so the browser is pointed at it.
    """
    from chalicelib.render.assets import font_path

    folder = ROOT / "build" / "fontconfig"
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{font_path().parent}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


@pytest.fixture(scope="session")
def chromium():
    """The session's headless Chromium, launched on first need."""
    if not CHROMIUM:
        pytest.skip("chromium is not installed (bin/test installs Debian's chromium when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS, env=font_environment())
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium):
    """A page in a fresh browser context: no cookie or storage of another test."""
    context = chromium.new_context(locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


def login_via_page(page, base: str, audience: str, login: str, password: str) -> None:
    page.goto(f"{base}/{audience}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    from tests import mfa

    for _ in range(3):  # staff/admin: the second step (again if another client used this step already)
        if not (mfa.needs_code(login) and page.locator("#code").count()):
            break
        page.fill("#code", mfa.code_for(login, server=base))
        page.click("button[type=submit]")
        page.wait_for_load_state()
