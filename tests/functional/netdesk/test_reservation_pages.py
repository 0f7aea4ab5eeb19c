"""issue 17 pages: the Net Desk 契約保証予約 form (three steps, fee on 申込確認), the staff queue with
payment and issue, the application form prefilled from a reservation with its fee on 申込確認, the
保証料計算書 link, and the staff application page's payment / waiver forms (CSRF, reason required)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import urllib.parse

from chalicelib.domain import clock
from chalicelib.services import auth, fee_statements
from chalicelib.store import reservations
from tests.factories import make_application
from tests.forms import csrf_of, staff_write
from tests.functional.conftest import DEMO, browser_login

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _cookie(session: str) -> dict[str, str]:
    return {"Cookie": f"esurety_session={session}"}


def _post(client, session, path, fields):
    return client.http.post(path, headers={**FORM, **_cookie(session)}, body=urllib.parse.urlencode(fields))


def _get(client, session, path):
    resp = client.http.get(path, headers=_cookie(session))
    return resp, resp.body.decode()


def _reservation_fields(csrf: str, **extra: str) -> dict[str, str]:
    bid = (clock.today() + dt.timedelta(days=14)).isoformat()
    return {
        "csrf_token": csrf,
        "project.name": "笠間市道路改良工事",
        "project.orderer_id": "08216",
        "project.contract_type": "construction",
        "project.bid_date": bid.replace("-", ""),
        "project.location": "茨城県笠間市〇〇",
        "bid_amount": "48,000,000",
        "form": "electronic",
        "delivery.branch_id": "ibaraki",
        "delivery.receipt": "counter",
        "delivery.visit_date": (clock.today() + dt.timedelta(days=3)).isoformat(),
        "delivery.visit_time": "10:00",
        "delivery.notify": "false",
        **extra,
    }


def test_reservation_form_three_steps_then_staff_pays_and_issues_on_pages(client):
    contractor, _ = browser_login(client, "netdesk", *DEMO["contractor"])
    resp, page = _get(client, contractor, "/netdesk/reservations/new")
    assert resp.status_code == 200 and "必須" in page and "入札日" in page

    bad = _post(client, contractor, "/netdesk/reservations/new", _reservation_fields(csrf_of(page), bid_amount=""))
    assert bad.status_code == 400 and 'id="err-bid_amount"' in bad.body.decode()
    assert 'href="#f-bid_amount">入札金額' in bad.body.decode()  # the summary names and links the field
    assert f'value="{auth.contact_email(DEMO["contractor"][0])}"' in page  # the e-mail the help says is filled in

    fields = _reservation_fields(csrf_of(page))
    confirm = _post(client, contractor, "/netdesk/reservations/new", fields)
    text = confirm.body.decode()
    assert confirm.status_code == 200 and "申込確認" in text
    assert "令和" in re.search(r'id="bid-date">([^<]+)<', text).group(1)  # the era echo of the bid date
    assert "契約保証予約手数料" in text and 'id="fee-total"' in text

    sent = _post(client, contractor, "/netdesk/reservations/new", {**fields, "step": "submit"})
    assert sent.status_code == 303
    done_resp, done = _get(client, contractor, sent.headers["Location"])
    assert done_resp.status_code == 200 and "送信完了" in done
    rid = re.search(r'id="reservation-id"[^>]*>([^<]+)<', done).group(1)
    # 申込詳細 of the reservation, without the 送信完了 page: the fee, its state, the 振込先, the statement.
    _, detail = _get(client, contractor, f"/netdesk/reservations/{rid}")
    assert "予約手数料" in detail and "未入金" in detail and fee_statements.PAYEE["account"] in detail
    statement = client.http.get(f"/netdesk/reservations/{rid}/fee-statement.pdf", headers=_cookie(contractor))
    assert statement.status_code == 303 and statement.headers["Location"].startswith("http")
    _, tab = _get(client, contractor, "/netdesk/guarantees?tab=bond")
    assert f"/netdesk/reservations/{rid}" in tab

    staff, _ = browser_login(client, "staff", *DEMO["staff"])
    _, queue = _get(client, staff, "/staff/reservations")
    assert f"/staff/reservations/{rid}" in queue
    _, detail = _get(client, staff, f"/staff/reservations/{rid}")
    assert "未入金" in detail
    csrf = csrf_of(detail)
    assert _post(client, staff, f"/staff/reservations/{rid}/issue", {"csrf_token": csrf}).status_code == 409
    forged = _post(client, staff, f"/staff/reservations/{rid}/fee/payment", {"csrf_token": "x", "amount": "1"})
    assert forged.status_code in (400, 403)
    total = re.search(r'name="amount"[^>]*value="(\d+)"', detail).group(1)
    _shown, paid = staff_write(
        client,
        staff,
        f"/staff/reservations/{rid}/fee/payment",
        {"amount": total, "paid_on": clock.today().isoformat()},
        csrf,
    )
    assert paid.status_code == 303
    shown, posted = staff_write(client, staff, f"/staff/reservations/{rid}/issue", {}, csrf)
    assert "契約保証予約証書を発行します" in shown.body.decode() and "〇〇建設" in shown.body.decode()
    issued, _ = _get(client, staff, posted.headers["Location"])
    number = re.search(r'id="reservation-number">([^<]+)<', issued.body.decode()).group(1)
    assert issued.status_code == 200 and number.endswith("Y")
    assert reservations.get(rid).status == "issued"
    _, detail = _get(client, contractor, f"/netdesk/reservations/{rid}")
    assert "入金済" in detail and fee_statements.PAYEE["account"] not in detail and number in detail

    _, tab = _get(client, contractor, "/netdesk/guarantees?tab=bond")
    assert number in tab and "/netdesk/applications/new?reservation=" in tab
    resp, form = _get(client, contractor, f"/netdesk/applications/new?reservation={number}")
    assert resp.status_code == 200 and 'id="prefilled"' in form
    assert f'value="{number}"' in form and 'value="笠間市道路改良工事"' in form


def test_application_confirm_shows_the_fee_and_done_links_the_fee_statement(client):
    contractor, _ = browser_login(client, "netdesk", *DEMO["contractor"])
    _, page = _get(client, contractor, "/netdesk/applications/new")
    values = dict(
        re.findall(r'<input type="(?:text|date|email|hidden)" id="[^"]*" name="([^"]+)" value="([^"]*)"', page)
    )
    values.update(
        {
            "csrf_token": csrf_of(page),
            "project.name": "〇〇線道路改良工事",
            "project.orderer_id": "08216",
            "project.contract_type": "construction",
            "project.contract_amount": "50,000,000",
            "project.period_start": (clock.today() + dt.timedelta(days=7)).isoformat(),
            "project.period_end": (clock.today() + dt.timedelta(days=200)).isoformat(),
            "project.location": "茨城県笠間市〇〇",
            "advance_payment.requested": "1",
            "advance_payment.amount": "20,000,000",
            "advance_payment.deposit_bank": "〇〇銀行××支店",
            "advance_payment.redeposit": "false",
            "advance_payment.fee_payment": "lump_sum",
            "advance_payment.form": "electronic",
            "bid.order_type": "general",
            "bid.award_date": clock.today().isoformat(),
            "delivery.branch_id": "ibaraki",
            "delivery.receipt": "counter",
            "delivery.visit_date": (clock.today() + dt.timedelta(days=3)).isoformat(),
            "delivery.visit_time": "10:00",
            "delivery.notify": "false",
        }
    )
    confirm = _post(client, contractor, "/netdesk/applications/new", values)
    text = confirm.body.decode()
    assert confirm.status_code == 200, text
    assert "前払金保証" in text and 'id="fee-total"' in text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', text).group(1)
    sent = _post(client, contractor, "/netdesk/applications/new", {**values, "step": "submit", "idempotency_key": key})
    assert sent.status_code == 303
    _, done = _get(client, contractor, sent.headers["Location"])
    link = html.unescape(re.search(r'href="([^"]+fee-statement\.pdf)"', done).group(1))
    pdf = client.http.get(link, headers=_cookie(contractor))
    assert pdf.status_code == 303 and pdf.headers["Location"].startswith("http")
    # 申込詳細 and 申込一覧 show the fee and its state; the detail also the 振込先 and the statement.
    app_id = re.search(r'id="application-id" hidden>([^<]+)<', done).group(1)
    _, detail = _get(client, contractor, f"/netdesk/applications/{app_id}")
    assert "未入金" in detail and fee_statements.PAYEE["account"] in detail and link in html.unescape(detail)
    _, listed = _get(client, contractor, "/netdesk/applications")
    row = re.search(rf'<tr id="app-{app_id}">(.*?)</tr>', listed, re.S).group(1)
    assert "未入金" in row and "円" in row


def test_staff_application_page_pay_and_waive_forms(client):
    app = make_application(fee="unpaid")  # submitted, its fee neither paid nor waived
    staff, _ = browser_login(client, "staff", *DEMO["staff"])
    resp, page = _get(client, staff, f"/staff/applications/{app.application_id}")
    assert resp.status_code == 200 and "未入金" in page and "免除の理由" in page
    csrf = csrf_of(page)
    no_reason = _post(
        client, staff, f"/staff/applications/{app.application_id}/fee/waiver", {"csrf_token": csrf, "reason": " "}
    )
    assert no_reason.status_code == 400 and "免除の理由を" in no_reason.body.decode()
    _shown, waived = staff_write(
        client, staff, f"/staff/applications/{app.application_id}/fee/waiver", {"reason": "災害復旧"}, csrf
    )
    assert waived.status_code == 303
    _, after = _get(client, staff, f"/staff/applications/{app.application_id}")
    assert "免除 (理由: 災害復旧" in after and "免除の理由" not in after
    assert (
        client.http.post(
            f"/staff/applications/{app.application_id}/fee/bogus",
            headers={**FORM, **_cookie(staff)},
            body=f"csrf_token={csrf}",
        ).status_code
        == 404
    )


def test_dsure_page_shows_a_reservation_valid_then_used(client, tokens):
    from tests.journeys import apply_citing, issued_reservation, post

    _r, out = issued_reservation(client, tokens)
    orderer, _ = browser_login(client, "dsure", *DEMO["kasama"])

    def status_text() -> str:
        _, page = _get(client, orderer, f"/dsure/verify?number={out['number']}")
        fields = {"csrf_token": csrf_of(page), "number": out["number"], "auth_key": out["auth_key"]}
        resp = _post(client, orderer, "/dsure/verify", fields)
        assert resp.status_code == 200, resp.body
        text = resp.body.decode()
        assert "契約保証予約" in text and "入札金額" in text
        return re.search(r'id="status"><strong>([^<]+)<', text).group(1)

    assert status_text() == "有効"
    app = apply_citing(client, tokens, out["number"], contract_guarantee__form="electronic")
    assert app.status_code == 201, app.body
    app_id, fees = json.loads(app.body)["id"], json.loads(app.body)["fees"]
    paid = post(
        client,
        tokens["staff"],
        f"/api/staff/applications/{app_id}/payment",
        {"amount": fees["total"], "paid_on": clock.today().isoformat()},
    )
    assert paid.status_code == 200
    assert post(client, tokens["staff"], f"/api/staff/applications/{app_id}/issue").status_code == 201
    assert status_text() == "使用済み"


def test_net_desk_detail_page_of_an_issued_reservation(client, tokens):
    from tests.journeys import issued_reservation

    _r, out = issued_reservation(client, tokens)
    contractor, _ = browser_login(client, "netdesk", *DEMO["contractor"])
    resp, page = _get(client, contractor, f"/netdesk/guarantees/{out['number']}")
    assert resp.status_code == 200 and out["number"] in page and "契約保証予約" in page
