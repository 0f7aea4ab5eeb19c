"""Issue 6 in a browser: 保証契約一覧 → ピンポイント検索 → 詳細 → 認証キー → key-notice PDF."""

from __future__ import annotations

import io

import boto3
import pytest

from chalicelib import settings
from tests.e2e.browser import browser_page, login_via_page  # noqa: F401 - fixture
from tests.factories import add_version, make_guarantee

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NUMBER = "30026-004242M"
KEY = "Q7pXr9ZtWm3K"


def _key_notice_pdf() -> bytes:
    """A stand-in for issuance's key notice (issue 4 draws the real one): number and key in text."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=f"Number: {NUMBER}")
    pdf.ln()
    pdf.cell(text=f"Key: {KEY}")
    return bytes(pdf.output())


def _seed(stack, monkeypatch) -> None:
    """Write a guarantee, its version and its PDF straight into the stack's moto."""
    s3 = boto3.client(
        "s3",
        region_name="ap-northeast-1",
        endpoint_url=stack.moto,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    key = "key-notices/e2e-browser-test.pdf"
    s3.put_object(Bucket=settings.current().bucket, Key=key, Body=_key_notice_pdf(), ContentType="application/pdf")
    # The factories write into the stack's moto, not the test process's.
    with stack.writes_here():
        g = make_guarantee(NUMBER, auth_key=KEY, issued_at="2026-10-31T13:15:00+09:00", key_notice_key=key)
        add_version(g, 2, "correction", issued_at="2026-11-02T09:30:00+09:00")


def test_contractor_finds_the_guarantee_sees_the_key_and_downloads_the_notice(stack, browser_page, monkeypatch):  # noqa: F811
    from pypdf import PdfReader

    _seed(stack, monkeypatch)
    page = browser_page
    login_via_page(page, stack.base, "netdesk", "demo-contractor", "demo-pass-1")
    page.goto(f"{stack.base}/netdesk/guarantees")
    assert "保証契約一覧" in page.content()
    page.fill("#number", NUMBER)
    page.click("form.pinpoint button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.guarantees tbody tr")
    assert rows.count() == 1
    assert NUMBER in rows.first.inner_text()
    rows.first.locator("text=詳細").click()
    page.wait_for_load_state()
    assert "電子保証概要(前払金保証)" in page.content()
    assert page.locator("#auth-key").inner_text() == KEY
    assert "訂正" in page.content()
    with page.expect_download() as info:
        page.get_by_role("link", name="印刷", exact=True).click()
    data = open(info.value.path(), "rb").read()  # noqa: PTH123, SIM115 - a temp file playwright owns
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert NUMBER in text and KEY in text
