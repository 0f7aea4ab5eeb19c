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


def submit_and_wait(page, selector: str) -> None:
    """Click a form's submit button and wait for the page it leads to (POST → 303 → GET).

    `click` then `wait_for_load_state()` can return before the navigation starts: the
    old page is still "loaded", and what is read next is read from it (a flake seen
    once at 1280 px). The navigation the click causes is what is waited for."""
    with page.expect_navigation():
        page.click(selector)


def login_via_page(page, base: str, audience: str, login: str, password: str) -> None:
    page.goto(f"{base}/{audience}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    submit_and_wait(page, "button[type=submit]")
    from tests import mfa

    for _ in range(3):  # staff/admin: the second step (again if another client used this step already)
        if not (mfa.needs_code(login) and page.locator("#code").count()):
            break
        page.fill("#code", mfa.code_for(login, server=base))
        submit_and_wait(page, "button[type=submit]")


# --- the page check every browser test runs on each page it visits --------------------------------

AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "build" / "screenshots"
SERIOUS = ("moderate", "serious", "critical")
PHONE = 400  # at or below this viewport width the phone checks run

# Every visible button, link, submit and the first cell of each data-table row: where it starts.
# Off-screen on purpose (the skip link before focus, the hidden default submit) does not count.
_OUTSIDE = """() => {
  const width = window.innerWidth, out = [];
  const visible = (el) => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const items = document.querySelectorAll(
    'a[href], button, input[type=submit], table tr > :first-child');
  for (const el of items) {
    if (el.closest('.skip-link, .default-submit') || !visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.left < 0 || r.left >= width) out.push(el.tagName + ' ' + (el.innerText || el.value || '').trim().slice(0, 30) + ' @' + Math.round(r.left));
  }
  return out;
}"""


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core is missing: bin/setup installs it into .venv/npm")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    """axe-core's violations of impact moderate or above on the page as it is now.

    axe is evaluated through the DevTools protocol (page.evaluate), which the page's CSP does not
    govern: the CSP is bypassed for the check only, never for the page's own scripts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result
        if v.get("impact") in SERIOUS
    ]


def check_page(page, name: str, folder: str = "", *, accessibility: bool = True) -> None:
    """The one check for a page a browser test has reached: axe-core finds nothing of impact moderate
    or above; on a phone (≤ 400 px) the page is no wider than the screen and no button, link or
    key cell of a table starts outside it; a full-page screenshot goes to build/screenshots/.

    `accessibility=False` only where the same page state was axe-checked at another width in the
    same journey (the same HTML and colours; axe costs ~0.5 s a page and the suite's time is short)."""
    page.wait_for_load_state()
    problems = [f"axe: {v}" for v in axe_violations(page)] if accessibility else []
    width = page.evaluate("window.innerWidth")
    if width <= PHONE:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            problems.append(f"page {scroll}px wider than {width}px")
        problems += [f"outside the screen: {o}" for o in page.evaluate(_OUTSIDE)]
    target = SHOTS / (folder or str(width))
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)
    assert not problems, f"{name} ({page.url}):\n" + "\n".join(problems)
