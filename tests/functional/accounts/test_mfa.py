"""The second factor (services/mfa.py).

A TOTP code is good once, wrong codes spend the token and lock the user, the page step keeps its
target, and the admin console takes both steps.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from chalicelib.domain import totp
from tests.admin_api import mfa_step, post
from tests.forms import csrf_of, nonce_of
from tests.functional.conftest import body, browser_login

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _challenge(client, login_id="ibaraki-staff", password="demo-pass-3") -> str:
    out = body(post(client, "/api/session", None, {"login": login_id, "password": password}))
    assert out["mfa_required"] is True
    return out["mfa_token"]


def test_a_code_is_good_once_per_user_and_earlier_steps_fail(client):
    secret = "JBSWY3DPEHPK3PXP"
    now = time.time()
    code = totp.code_at(secret, now)
    assert mfa_step(client, _challenge(client), code).status_code == 200
    assert mfa_step(client, _challenge(client), code).status_code == 401  # replay
    earlier = totp.code_at(secret, now - totp.INTERVAL)
    assert mfa_step(client, _challenge(client), earlier).status_code == 401  # before the last accepted step
    later = totp.code_at(secret, now + totp.INTERVAL)
    assert mfa_step(client, _challenge(client), later).status_code == 200


def test_five_wrong_codes_spend_the_mfa_token(client):
    t = _challenge(client)
    assert [mfa_step(client, t, "000000").status_code for _ in range(5)] == [401] * 5
    right = totp.code_at("JBSWY3DPEHPK3PXP", time.time())
    spent = mfa_step(client, t, right)
    assert spent.status_code == 429 and spent.headers.get("Retry-After")
    assert mfa_step(client, _challenge(client), right).status_code == 200  # a new login works


def test_ten_wrong_codes_lock_the_user(client):
    statuses = []
    for _ in range(2):
        t = _challenge(client)
        statuses += [mfa_step(client, t, "123456").status_code for _ in range(5)]
    assert statuses[:9] == [401] * 9 and statuses[9] == 429
    right = totp.code_at("JBSWY3DPEHPK3PXP", time.time())
    assert mfa_step(client, _challenge(client), right).status_code == 429


def test_mfa_page_step_keeps_next_and_refuses_a_wrong_code(client):
    from tests.functional.conftest import mfa_page_step

    page = client.http.get("/staff/login?next=/staff/applications")
    nonce = nonce_of(page)
    csrf = csrf_of(page.body.decode())
    step1 = client.http.post(
        "/staff/login",
        headers={**FORM, "Cookie": f"esurety_login={nonce}"},
        body=urlencode(
            {"csrf_token": csrf, "login": "ibaraki-staff", "password": "demo-pass-3", "next": "/staff/applications"}
        ),
    )
    assert (
        step1.status_code == 200
        and 'name="code"' in step1.body.decode()
        and "esurety_session" not in str(step1.headers)
    )
    wrong = mfa_page_step(client, "staff", step1, "ibaraki-staff", code="000000")
    assert wrong.status_code == 401 and 'name="code"' in wrong.body.decode(), wrong.body.decode()
    done = mfa_page_step(client, "staff", wrong, "ibaraki-staff")
    assert done.status_code == 303 and done.headers["Location"] == "/staff/applications"


def test_admin_console_login_takes_two_steps(client):
    session, html = browser_login(client, "admin", "admin", "demo-pass-7")
    assert "管理者コンソール" in html
