"""The pages' forms as a browser posts them: the application form's fields, and the steps around
them (log in on a page, read a page's CSRF token and hidden fields, post a form).

Shared by the functional tests of several portals; the login through the page that every test
uses, `browser_login`, and the JSON helpers stay in tests/functional/conftest.py.
"""

from __future__ import annotations

import html as html_mod
import re
from urllib.parse import quote, urlencode

from tests.functional.conftest import DEMO

URLENC = {"Content-Type": "application/x-www-form-urlencoded"}

#: 申込作成 filled in as a contractor types it (the same application as tests/factories.APPLICATION_BODY).
APPLICATION_FORM = {
    "project.name": "5市単(笠建)第〇-〇号道路改良工事", "project.orderer_id": "08216",
    "project.contract_type": "construction", "project.jv_name": "", "project.contract_amount": "50,000,000",
    "project.period_start": "2026-12-01", "project.period_end": "2027-11-15", "project.location": "茨城県笠間市〇〇",
    "advance_payment.requested": "1", "advance_payment.this_year_amount": "", "advance_payment.amount": "20000000",
    "advance_payment.deposit_bank": "〇〇銀行 ××支店", "advance_payment.redeposit": "false",
    "advance_payment.fee_payment": "lump_sum", "advance_payment.intermediate": "false",
    "advance_payment.intermediate_amount": "", "advance_payment.intermediate_planned": "false",
    "advance_payment.form": "electronic",
    "contract_guarantee.requested": "1", "contract_guarantee.amount": "5000000",
    "contract_guarantee.fee_payment": "lump_sum", "contract_guarantee.low_bid": "false",
    "contract_guarantee.form": "electronic",
    "bid.order_type": "general", "bid.award_date": "2026/10/30", "bid.rounds": "1", "bid.bidders": "5",
    "bid.disqualified": "0", "bid.second_bidder": "△△工業", "bid.second_amount_k": "49500",
    "bid.highest_bidder": "□□建設", "bid.highest_amount_k": "52000",
    "delivery.branch_id": "ibaraki", "delivery.receipt": "mail", "delivery.receipt_date": "2026-12-10",
    "delivery.visit_date": "", "delivery.visit_time": "", "delivery.notify": "true",
    "delivery.email": "soumu@example.co.jp", "delivery.mail_to.name": "〇〇建設 株式会社",
    "delivery.mail_to.postal_code": "309-1792", "delivery.mail_to.address": "茨城県笠間市〇〇0-00-0",
}  # fmt: skip

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    return _CSRF.search(html).group(1)


def hidden_fields(html: str) -> dict[str, str]:
    """A page's hidden inputs by name (申込確認 carries every typed value in them)."""
    return {
        m[0]: html_mod.unescape(m[1]) for m in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }


def cookie_of(resp, name: str) -> str | None:
    """The value a response sets for cookie `name` ("" when it clears it), or None."""
    cookies = resp.headers.get("Set-Cookie", "")
    cookies = "\n".join(cookies) if isinstance(cookies, list) else cookies
    m = re.search(rf"{name}=([^;]*)", cookies)
    return m.group(1) if m else None


def nonce_of(resp) -> str:
    """The nonce cookie an anonymous page (login, reset, set-up) sets: one half of its form's CSRF
    pair, the other being the form's token (`csrf_of`)."""
    nonce = cookie_of(resp, "esurety_login")
    assert nonce, resp.headers
    return nonce


def session_of(resp) -> str:
    """The session cookie a successful page login sets."""
    session = cookie_of(resp, "esurety_session")
    assert session, resp.headers
    return session


def cookie_login(client) -> tuple[dict[str, str], str]:
    """The contractor logged in on the page, at 申込作成: (cookie header, the form's CSRF token)."""
    page = client.http.get("/netdesk/login")
    nonce = nonce_of(page)
    token = csrf_of(page.body.decode())
    login_id, password = DEMO["contractor"]
    resp = client.http.post(
        "/netdesk/login",
        headers={**URLENC, "Cookie": f"esurety_login={nonce}"},
        body=f"csrf_token={token}&login={login_id}&password={password}&next=/netdesk",
    )
    session = session_of(resp)
    new = client.http.get("/netdesk/applications/new", headers={"Cookie": f"esurety_session={session}"})
    return {"Cookie": f"esurety_session={session}"}, csrf_of(new.body.decode())


def post_form(client, cookie: dict[str, str], fields) -> object:
    """Post 申込作成 (any step) with the session cookie."""
    return client.http.post("/netdesk/applications/new", headers={**cookie, **URLENC}, body=urlencode(fields))


def login_form(client, audience: str, login_id: str, password: str, next_path: str, cookie: str = ""):
    """Open a portal's login page for `next_path` and post it: (the page, the login's answer)."""
    page = client.http.get(f"/{audience}/login?next={quote(next_path, safe='')}")
    nonce = nonce_of(page)
    form = {"csrf_token": csrf_of(page.body.decode()), "login": login_id, "password": password, "next": next_path}
    resp = client.http.post(
        f"/{audience}/login",
        headers={**URLENC, "Cookie": f"esurety_login={nonce}" + (f"; {cookie}" if cookie else "")},
        body=urlencode(form),
    )
    return page, resp


def staff_cookie(session: str) -> dict[str, str]:
    """A clerk's cookie headers for a form post (the session's CSRF token is `staff_csrf`)."""
    return {"Cookie": f"esurety_session={session}", **URLENC}


def staff_csrf(client, session: str) -> str:
    """The CSRF token the console's forms carry for this session (read from its top page)."""
    return csrf_of(client.http.get("/staff", headers={"Cookie": f"esurety_session={session}"}).body.decode())


def confirm_form(html: str) -> tuple[str, dict[str, str]]:
    """The confirmation page's form: (its action, its hidden fields with the one-time token)."""
    action = re.search(r'<form method="post" action="([^"]+)" id="confirm">', html).group(1)
    return action, hidden_fields(html)


def staff_write(client, session: str, path: str, fields: dict[str, str], csrf: str):
    """A console write as a clerk makes it: the form's post (→ the confirmation page), then the
    confirmation's post. Returns (the confirmation page, the confirmed answer)."""
    headers = staff_cookie(session)
    shown = client.http.post(path, headers=headers, body=urlencode({"csrf_token": csrf, **fields}))
    assert shown.status_code == 200 and 'id="confirm"' in shown.body.decode(), shown.body.decode()[:2000]
    action, hidden = confirm_form(shown.body.decode())
    return shown, client.http.post(action, headers=headers, body=urlencode(hidden))
