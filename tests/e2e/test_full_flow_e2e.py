"""The whole journey on the running local stack, over HTTP, as the people in DESIGN.md §1 do it.

Apply (Net Desk) → issue (staff) → the completion mail within 2 s (issue 5) →
verify (D-Sure, kasama) → the contractor's 閲覧履歴 lists it → key reissue: the
old key is a 404, the new one a 200 → 取消 → verifies as cancelled (issue 7).
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.factories import application_body

pytestmark = pytest.mark.e2e


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _mails_to(stack, address: str, needle: str) -> list[dict]:
    items = requests.get(stack.url("/api/dev/outbox"), timeout=10).json()["items"]
    return [m for m in items if address in m["to"] and needle in m["body"]]


def _approved(stack, asked: requests.Response, approver: str) -> requests.Response:
    """API.md's 決裁: the request answers 202; another staff user's approval carries it out."""
    assert asked.status_code == 202, asked.text
    approval_id = asked.json()["approval_id"]
    return requests.post(stack.url(f"/api/staff/approvals/{approval_id}/approve"), headers=_auth(approver), timeout=60)


def test_apply_issue_mail_verify_views_reissue_cancel(stack):
    contractor = stack.login("demo-contractor", "demo-pass-1")
    staff = stack.login("ibaraki-staff", "demo-pass-3")
    chief = stack.login("ibaraki-chief", "demo-pass-6")  # the second pair of eyes (決裁)
    kasama = stack.login("kasama", "demo-pass-4")
    address = "soumu@example.co.jp"  # the notices go only to the contractor's own users (issue 15)

    # 1. Apply for a 前払金保証 (electronic) only.
    body = application_body(contract_guarantee=None, delivery__email=address)
    resp = requests.post(stack.url("/api/applications"), json=body, headers=_auth(contractor), timeout=30)
    assert resp.status_code == 201, resp.text
    app_id = resp.json()["id"]

    # 2. The clerk records the 保証料 as paid, then issues it.
    fee = resp.json()["fees"]["total"]
    paid = requests.post(
        stack.url(f"/api/staff/applications/{app_id}/payment"),
        json={"amount": fee, "paid_on": time.strftime("%Y-%m-%d", time.localtime())},
        headers=_auth(staff),
        timeout=30,
    )
    assert paid.status_code == 200, paid.text
    resp = requests.post(stack.url(f"/api/staff/applications/{app_id}/issue"), headers=_auth(staff), timeout=60)
    assert resp.status_code == 201, resp.text
    issued_at = time.monotonic()
    [guarantee] = resp.json()["guarantees"]
    number, key = guarantee["number"], guarantee["auth_key"]
    assert guarantee["kind"] == "advance_payment" and guarantee["form"] == "electronic" and len(key) == 12

    # 3. The completion mail reaches the outbox within 2 s, addressed to the application's e-mail, without the key.
    mails: list[dict] = []
    while time.monotonic() - issued_at < 2.0 and not mails:
        mails = _mails_to(stack, address, number)
        time.sleep(0.05)
    assert mails, "no completion mail within 2 s"
    assert mails[0]["subject"] == "電子保証（認証キー）発行完了のお知らせ"
    assert key not in mails[0]["body"] and key not in mails[0]["subject"]
    assert f"/netdesk/guarantees/{number}" in mails[0]["body"]

    # 4. kasama verifies it on D-Sure; the contractor's 閲覧履歴 lists that.
    resp = requests.post(
        stack.url("/api/verify"), json={"number": number, "auth_key": key}, headers=_auth(kasama), timeout=30
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "valid"
    views = requests.get(stack.url(f"/api/guarantees/{number}/views"), headers=_auth(contractor), timeout=30).json()
    assert any(v["orderer_id"] == "08216" and v["result"] == "valid" for v in views["items"])

    # 5. Key reissue: the old key fails at once, the new one works.
    resp = requests.post(
        stack.url(f"/api/staff/guarantees/{number}/reissue-key"),
        json={"reason": "発注者からの依頼"},
        headers=_auth(staff),
        timeout=60,
    )
    resp = _approved(stack, resp, chief)
    assert resp.status_code == 201, resp.text
    new_key = resp.json()["auth_key"]
    assert new_key != key
    old = requests.post(
        stack.url("/api/verify"), json={"number": number, "auth_key": key}, headers=_auth(kasama), timeout=30
    )
    assert old.status_code == 404
    new = requests.post(
        stack.url("/api/verify"), json={"number": number, "auth_key": new_key}, headers=_auth(kasama), timeout=30
    )
    assert new.status_code == 200

    # 6. 取消: the guarantee verifies as cancelled, never as valid.
    resp = requests.post(
        stack.url(f"/api/staff/guarantees/{number}/versions"),
        json={"kind": "cancellation", "reason": "契約解除のため"},
        headers=_auth(staff),
        timeout=60,
    )
    resp = _approved(stack, resp, chief)
    assert resp.status_code == 201, resp.text
    assert resp.json()["version"] == 2
    after = requests.post(
        stack.url("/api/verify"), json={"number": number, "auth_key": new_key}, headers=_auth(kasama), timeout=30
    )
    assert after.status_code == 200
    assert after.json()["status"] == "cancelled"
    assert [v["kind"] for v in after.json()["versions"]][-1] == "cancellation"
