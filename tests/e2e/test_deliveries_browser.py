"""提出 and 受領 in Chromium at 390 px (a phone), on the local stack with its stream pumps: the
contractor delivers the 前払金保証 and the 契約保証 of one application; each lands in its routed
department; 土木課 checks one against a matching contract record and receives it; 契約検査課 sees the
工期末 > 保証期限 finding before deciding and returns the other with a reason; the contractor sees
受領済 and 差戻し with the reason; a 変更 brings the received one back as 未受領 at version 2.
Every write goes through its confirmation page. Every page of the journey fits the phone's width; D-Sure's
提出一覧 and 提出 pages also pass the page check at 1280 px (a desk)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.e2e.browser import check_page, login_via_page, submit_and_wait
from tests.e2e.rows import put_guarantee

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WIDTH = 390
DESK = 1280
PERIOD_END = "2027-11-15"  # application_body's 工期末 = the guarantees' 保証期限


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _issued(stack) -> dict[str, str]:
    """Both guarantees of one application (the factory's rows: the clerk's issue is not this test's
    subject, and drawing its PDFs costs seconds): kind → number."""
    numbers = {"advance_payment": "30026-000951M", "contract_guarantee": "30026-000952K"}
    for kind, number in numbers.items():
        put_guarantee(stack, number, kind=kind, application_id="e2e-deliveries", deadline=PERIOD_END)
    return numbers


class Phone:
    """One page at 390 px; `fits` records any page wider than the viewport."""

    def __init__(self, chromium, base: str) -> None:
        self.context = chromium.new_context(locale="ja-JP", viewport={"width": WIDTH, "height": 844})
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)
        self.base = base
        self.too_wide: list[str] = []
        self.seen: set[str] = set()

    def fits(self, name: str, template: str | None = None) -> None:
        """The browser harness's page check (axe-core once per page `template`, by default its name; the
        phone checks; the screenshot)."""
        check_page(self.page, name, folder="deliveries", accessibility=(template or name) not in self.seen)
        self.seen.add(template or name)

    def at_desk(self, name: str) -> None:
        """The same page at 1280 px: the page check again, axe included (a desk's layout is another page)."""
        self.page.set_viewport_size({"width": DESK, "height": 900})
        check_page(self.page, name, folder="deliveries")

    def confirm(self, name: str, template: str | None = None) -> str:
        """On a write's confirmation page: check it, confirm, and answer the text of the page it lands on."""
        assert "押すまでは何も記録されません" in self.page.inner_text("main")
        self.fits(name, template)
        submit_and_wait(self.page, "#confirm-button")
        return self.page.inner_text("main")

    def as_user(self, audience: str, login: str, password: str) -> None:
        self.context.clear_cookies()
        login_via_page(self.page, self.base, audience, login, password)


def _deliver(phone: Phone, number: str, department: str) -> None:
    page = phone.page
    page.goto(f"{phone.base}/netdesk/guarantees/{number}")
    page.fill("form.deliver input[name=orderer_reference]", "R8-土木-0042")
    submit_and_wait(page, "form.deliver button[type=submit]")
    assert department in page.inner_text("#confirm-facts")  # the confirmation step names the department
    assert "発注者へ提出しました" in phone.confirm("deliver-confirm")
    assert "提出済 (未受領)" in page.inner_text("#deliveries")


def _check(phone: Phone, number: str, period_end: str) -> str:
    """Open the delivery from 提出一覧 (未受領) and check it against the record: the findings' text."""
    page = phone.page
    page.goto(f"{phone.base}/dsure/deliveries")
    phone.fits("deliveries")
    submit_and_wait_link(page, page.locator("tr", has_text=number).locator("a"))
    phone.fits("delivery")
    assert "受領する" not in page.inner_text("main")  # no decision before the check
    page.fill("#check input[name=contract_amount]", "50,000,000")
    page.fill("#check input[name=period_end]", period_end)
    submit_and_wait(page, "#check button[type=submit]")
    phone.fits("delivery-checked")
    return page.inner_text("#findings")


def submit_and_wait_link(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_deliver_route_check_receive_return_and_a_change_brings_it_back(stack, chromium):
    numbers = _issued(stack)
    advance, contract = numbers["advance_payment"], numbers["contract_guarantee"]
    phone = Phone(chromium, stack.base)
    try:
        phone.as_user("netdesk", "demo-contractor", "demo-pass-1")
        _deliver(phone, advance, "土木課")
        _deliver(phone, contract, "契約検査課")

        phone.as_user("dsure", "kasama-doboku", "demo-pass-9")
        phone.page.goto(f"{stack.base}/dsure/deliveries")
        listed = phone.page.inner_text("main")
        assert advance in listed and contract not in listed  # routed by kind, and only its department sees it
        assert "指摘はありません" in _check(phone, advance, PERIOD_END)
        submit_and_wait(phone.page, "#receive button[type=submit]")
        assert "受領しました" in phone.confirm("receive-confirm", "dsure-confirm")

        phone.as_user("dsure", "kasama-keiyaku", "demo-pass-8")
        findings = _check(phone, contract, "2027-12-20")
        assert "工期末 (2027-12-20) が保証期限 (2027-11-15) より後です" in findings
        assert phone.page.locator("#receive").is_visible() and phone.page.locator("#return").is_visible()
        phone.page.fill(
            "#return textarea[name=reason]", "工期末が保証期限より後です。工期変更後の保証を提出してください。"
        )
        submit_and_wait(phone.page, "#return button[type=submit]")
        assert "差戻しの理由" in phone.page.inner_text("#confirm-facts")
        assert "差し戻しました" in phone.confirm("return-confirm", "dsure-confirm")  # one template: axe ran on 受領's
        assert "kasama-keiyaku" in phone.page.inner_text("#delivery-history")  # who returned it, and when

        phone.as_user("netdesk", "demo-contractor", "demo-pass-1")
        phone.page.goto(f"{stack.base}/netdesk/guarantees/{advance}")
        mine = phone.page.inner_text("#deliveries")
        assert "受領済" in mine and "土木課" in mine
        phone.fits("overview-received")
        phone.page.goto(f"{stack.base}/netdesk/guarantees/{contract}")
        assert "差戻し" in phone.page.inner_text("#deliveries")
        assert "工期変更後の保証を提出してください" in phone.page.inner_text("#deliveries")

        staff = stack.login("ibaraki-staff", "demo-pass-3")
        changed = requests.post(
            stack.url(f"/api/staff/guarantees/{advance}/versions"),
            json={"kind": "change", "changes": {"guarantee_amount": 15_000_000}, "reason": "減額"},
            headers=_auth(staff),
            timeout=60,
        )
        assert changed.status_code == 201, changed.text
        doboku = _auth(stack.login("kasama-doboku", "demo-pass-9"))
        started, items = time.monotonic(), []
        while time.monotonic() - started < 10 and not items:  # the certificates stream's pump follows it
            got = requests.get(stack.url("/api/orderer/deliveries?status=delivered"), headers=doboku, timeout=10)
            items = [i for i in got.json()["items"] if i["number"] == advance]
            time.sleep(0.1)
        assert items and (items[0]["version"], items[0]["latest_event"]) == (2, "change")
        phone.as_user("dsure", "kasama-doboku", "demo-pass-9")
        phone.page.goto(f"{stack.base}/dsure/deliveries")
        row = phone.page.locator("tr", has_text=advance).inner_text()
        assert "第2版 (変更)" in row and "未確認" in row
        phone.at_desk("deliveries-desk")
        submit_and_wait_link(phone.page, phone.page.locator("tr", has_text=advance).locator("a"))
        history = phone.page.inner_text("#delivery-history")
        assert "受領" in history and "新しい版で未受領に (変更)" in history
        phone.at_desk("delivery-desk")
        assert phone.too_wide == []
    finally:
        phone.context.close()
