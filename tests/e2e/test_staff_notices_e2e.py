"""Issue 14 on the running local stack: a key reissue (requested, then approved by the second
staff user) mails the contractor within 2 s without either key, through the events stream and
its pump, and the orderer's inbox shows it."""

from __future__ import annotations

import time

import pytest
import requests

from tests.factories import application_body

pytestmark = pytest.mark.e2e


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_key_reissue_notice_mail_and_inbox(stack):
    contractor = stack.login("demo-contractor", "demo-pass-1")
    staff = stack.login("ibaraki-staff", "demo-pass-3")
    chief = stack.login("ibaraki-chief", "demo-pass-6")
    kasama = stack.login("kasama", "demo-pass-4")
    # The notice goes to the contractor's own user (issue 15: delivery.email must be one of them).
    address = "soumu@example.co.jp"
    body = application_body(contract_guarantee=None, delivery__email=address)
    created = requests.post(stack.url("/api/applications"), json=body, headers=_auth(contractor), timeout=30).json()
    app_id = created["id"]
    paid = requests.post(  # issue 17: the 保証料 is recorded as paid before the guarantee is issued
        stack.url(f"/api/staff/applications/{app_id}/payment"),
        json={"amount": created["fees"]["total"], "paid_on": time.strftime("%Y-%m-%d", time.localtime())},
        headers=_auth(staff),
        timeout=30,
    )
    assert paid.status_code == 200, paid.text
    issued = requests.post(
        stack.url(f"/api/staff/applications/{app_id}/issue"), headers=_auth(staff), timeout=60
    ).json()
    number, old = issued["guarantees"][0]["number"], issued["guarantees"][0]["auth_key"]
    seen = requests.post(
        stack.url("/api/verify"), json={"number": number, "auth_key": old}, headers=_auth(kasama), timeout=30
    )
    assert seen.status_code == 200
    inbox = requests.get(stack.url("/api/orderer/guarantees"), headers=_auth(kasama), timeout=30).json()["items"]
    assert [i["seen"] for i in inbox if i["number"] == number] == [True]

    asked = requests.post(
        stack.url(f"/api/staff/guarantees/{number}/reissue-key"),
        json={"reason": "紛失"},
        headers=_auth(staff),
        timeout=30,
    )
    assert asked.status_code == 202, asked.text
    approved = requests.post(
        stack.url(f"/api/staff/approvals/{asked.json()['approval_id']}/approve"), headers=_auth(chief), timeout=60
    )
    assert approved.status_code == 201, approved.text
    new = approved.json()["auth_key"]
    started = time.monotonic()
    mails: list[dict] = []
    while time.monotonic() - started < 2.0 and not mails:
        items = requests.get(stack.url("/api/dev/outbox"), timeout=10).json()["items"]
        mails = [
            m
            for m in items
            if address in m["to"] and m["subject"] == "認証キー再発行のお知らせ" and number in (m.get("body") or "")
        ]
        time.sleep(0.05)
    assert mails, "no key reissue notice within 2 s"
    assert old not in mails[0]["body"] and new not in mails[0]["body"] and number in mails[0]["body"]
    # The orderer's inbox shows it: the event, unseen until kasama looks again (with the new key).
    inbox = requests.get(stack.url("/api/orderer/guarantees"), headers=_auth(kasama), timeout=30).json()["items"]
    [item] = [i for i in inbox if i["number"] == number]
    assert (item["latest_event"], item["seen"]) == ("key_reissued", False)
    assert inbox[0]["number"] == number  # moved up by the events trigger (verify.note_new_version)
    again = requests.post(
        stack.url("/api/verify"), json={"number": number, "auth_key": new}, headers=_auth(kasama), timeout=30
    )
    assert again.status_code == 200
    inbox = requests.get(stack.url("/api/orderer/guarantees"), headers=_auth(kasama), timeout=30).json()["items"]
    assert [i["seen"] for i in inbox if i["number"] == number] == [True]
