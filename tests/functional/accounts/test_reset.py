"""Issue 26: a password reset against a stolen mailbox and a flood (services/accounts.py).

A reset link sets the password only (the second factor stays); a newer link spends every older
one; a reset for an invited user mails the invitation again; a request costs the same work for a
known and an unknown login (counted DynamoDB calls, one queued row each); at most 3 mails per
login an hour, at most 10 requests per source in 15 minutes.
"""

from __future__ import annotations

import re

from chalicelib.store import accounts
from tests import mfa, tables
from tests.admin_api import GOOD_PASSWORD, invite, mfa_step, outbox, post, setup_token
from tests.dynamodb_calls import recorded
from tests.functional.conftest import body, login
from tests.streams import run_events

STAFF_SECRET = "JBSWY3DPEHPK3PXP"  # ibaraki-staff's demo secret


def _reset(client, login_id: str):
    return post(client, "/api/account/reset", None, {"login": login_id})


def _set(client, token: str, password: str = GOOD_PASSWORD):
    return post(client, "/api/account/password", None, {"token": token, "password": password})


def _links(client, address: str) -> list[tuple[str, str]]:
    """(subject, token) of every set-up link mailed to `address`, oldest first."""
    run_events(client, "password_reset")
    found = []
    for mail in outbox(client):
        if address in mail["to"]:
            token = re.search(r"/account/setup\?token=([A-Za-z0-9_-]+)", mail["body"])
            if token:
                found.append((mail["subject"], token.group(1)))
    return found


def test_a_reset_link_sets_the_password_only_and_keeps_the_totp_secret(client):
    tables.update("accounts", {"login": "ibaraki-staff"}, email="clerk@example.jp")  # the demo has none
    assert _reset(client, "ibaraki-staff").status_code == 202
    token = setup_token(client, "clerk@example.jp")
    answer = _set(client, token)
    assert answer.status_code == 204 and not answer.body  # no totp_uri: the second factor is untouched
    user = accounts.get("ibaraki-staff")
    assert accounts.totp_secret(user) == STAFF_SECRET and user.totp_confirmed is True
    step1 = body(post(client, "/api/session", None, {"login": "ibaraki-staff", "password": GOOD_PASSWORD}))
    assert step1["mfa_required"] is True
    code = mfa.code_for("ibaraki-staff", STAFF_SECRET)
    assert mfa_step(client, step1["mfa_token"], code).status_code == 200  # the old authenticator works


def test_an_older_link_is_spent_by_a_newer_one_and_a_used_link_spends_the_rest(client):
    for _ in range(2):
        assert _reset(client, "demo-contractor").status_code == 202
    (_, older), (_, newer) = _links(client, "soumu@example.co.jp")
    refused = _set(client, older)
    assert refused.status_code == 400 and body(refused)["errors"][0]["field"] == "token"
    assert client.http.get(f"/account/setup?token={older}").status_code == 400
    assert _set(client, newer).status_code == 204
    assert login(client, "demo-contractor", GOOD_PASSWORD)["role"] == "contractor"
    assert _set(client, newer, GOOD_PASSWORD + "2").status_code == 400


def test_a_reset_for_an_invited_user_mails_the_invitation_again_and_spends_the_first(client, admin):
    invite(client, admin, "late-clerk", role="staff", org_id="ibaraki")
    assert _reset(client, "late-clerk").status_code == 202
    (first_subject, first), (again_subject, again) = _links(client, "late-clerk@example.jp")
    assert first_subject == again_subject == "【e-Surety】アカウント開設のご案内"
    assert _set(client, first).status_code == 400
    enrolled = _set(client, again)
    assert enrolled.status_code == 200 and body(enrolled)["totp_uri"].startswith("otpauth://")


def test_a_reset_request_costs_the_same_work_for_a_known_and_an_unknown_login(client):
    before = tables.count("events")
    with recorded() as known_calls:
        known = _reset(client, "demo-contractor")
    with recorded() as unknown_calls:
        unknown = _reset(client, "no-such-login")
    assert known.status_code == unknown.status_code == 202 and known.body == unknown.body
    assert known_calls == unknown_calls == ["TransactWriteItems", "PutItem"]  # the source's count, the queued row
    queued = tables.rows("events", kind="password_reset")
    assert tables.count("events") == before + 2 and sorted(r.login for r in queued) == [
        "demo-contractor",
        "no-such-login",
    ]


def test_at_most_three_reset_mails_per_login_an_hour(client):
    answers = {_reset(client, "demo-contractor").body for _ in range(5)}
    assert len(answers) == 1  # the same 202 and body every time
    assert len(_links(client, "soumu@example.co.jp")) == 3
    run_events(client, "password_reset")  # a redelivered stream sends nothing more
    assert len(_links(client, "soumu@example.co.jp")) == 3


def test_more_than_ten_reset_requests_from_one_source_get_429(client):
    for i in range(10):
        assert _reset(client, f"someone-{i}").status_code == 202
    refused = _reset(client, "demo-contractor")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert body(refused)["errors"][0]["field"] == "login"
    assert tables.count("events", kind="password_reset") == 10  # nothing queued past the limit


def test_a_reset_for_a_clerk_whose_second_factor_an_admin_reset_mails_that_re_enrolment_again(client, admin):
    tables.update("accounts", {"login": "ibaraki-staff"}, email="clerk@example.jp")
    assert post(client, "/api/admin/users/ibaraki-staff/reset-mfa", admin).status_code == 200
    assert _reset(client, "ibaraki-staff").status_code == 202
    (first_subject, first), (again_subject, again) = _links(client, "clerk@example.jp")
    assert first_subject == again_subject == "【e-Surety】二要素認証の再設定のご案内"
    assert _set(client, first).status_code == 400  # the admin's link is spent by the newer one
    enrolled = _set(client, again)
    assert enrolled.status_code == 200 and body(enrolled)["totp_uri"].startswith("otpauth://")
