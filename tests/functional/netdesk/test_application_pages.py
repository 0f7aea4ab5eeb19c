"""Issue 16: Net Desk and D-Sure as people use them — login targets, a form kept across an
expired session, bulk CSV as Excel saves it, messages that say where, the application detail page."""

from __future__ import annotations

import html as html_mod
import json
import re

from chalicelib.services import issuance
from tests import tables
from tests.factories import make_application
from tests.forms import APPLICATION_FORM as FORM
from tests.forms import cookie_login, csrf_of, hidden_fields, post_form
from tests.functional.conftest import browser_login
from tests.journeys import STAFF

NUMBER = "30026-000601M"
KEY = "Z28YUE4J3Bux"


# --- messages that say what and where --------------------------------------------------------------


def _form_page(client):
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    cookie = {"Cookie": f"esurety_session={session}"}
    new = client.http.get("/netdesk/applications/new", headers=cookie).body.decode()
    return cookie, csrf_of(new), new


def test_minus_five_and_twenty_digits_are_explained_and_linked_from_the_summary(client):
    cookie, csrf, _ = _form_page(client)
    resp = post_form(
        client,
        cookie,
        {
            **FORM,
            "csrf_token": csrf,
            "step": "confirm",
            "advance_payment.amount": "-5",
            "contract_guarantee.amount": "12345678901234567890",
        },
    )
    assert resp.status_code == 400
    html = html_mod.unescape(resp.body.decode())
    assert 'id="error-summary"' in html and 'role="alert"' in html and "autofocus" in html
    assert '<a href="#f-advance_payment-amount">前払金保証金額: 0円より大きい金額を入力してください。</a>' in html
    assert '<a href="#f-contract_guarantee-amount">契約保証金額: 桁数が多すぎます' in html
    assert "整数で入力してください" not in html


def test_a_paper_only_orderer_names_which_guarantee(client):
    cookie, csrf, _ = _form_page(client)
    resp = post_form(client, cookie, {**FORM, "csrf_token": csrf, "step": "confirm", "project.orderer_id": "08999"})
    html = html_mod.unescape(resp.body.decode())
    assert (
        "前払金保証を電子保証で申し込むことはできません" in html
        and "契約保証を電子保証で申し込むことはできません" in html
    )
    assert 'href="#f-advance_payment-form"' in html and 'id="f-advance_payment-form"' in html


def test_the_new_form_prefills_the_account_mail_and_marks_it_required(client):
    _cookie, _csrf, html = _form_page(client)
    assert 'name="delivery.email" value="soumu@example.co.jp"' in html
    assert re.search(r'for="f-delivery-email">メールアドレス</label><span class="required">必須', html)
    assert "インフォメーション" in html and "インフォメーションをクリア" in html and "入札の状況をクリア" in html
    assert 'data-era-echo="f-bid-award_date-era"' in html


def test_clearing_one_section_keeps_the_others(client):
    cookie, csrf, _ = _form_page(client)
    resp = post_form(client, cookie, {**FORM, "csrf_token": csrf, "step": "clear:bid"})
    html = resp.body.decode()
    assert (
        resp.status_code == 200
        and 'name="bid.award_date" value=""' in html
        and 'name="bid.second_bidder" value=""' in html
    )
    assert 'name="project.name" value="5市単(笠建)第〇-〇号道路改良工事"' in html
    assert re.search(r'name="bid.order_type" value="general"[^>]*checked', html)  # back to the fresh form's choice


def test_the_era_echo_appears_when_the_form_comes_back(client):
    cookie, csrf, _ = _form_page(client)
    resp = post_form(client, cookie, {**FORM, "csrf_token": csrf, "step": "edit", "bid.award_date": "20231030"})
    assert re.search(r'<output id="f-bid-award_date-era"[^>]*>令和5年10月30日</output>', resp.body.decode())


# --- the application detail page -------------------------------------------------------------------


def test_application_detail_status_reason_copy_and_issued_guarantees(client):
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    cookie = {"Cookie": f"esurety_session={session}"}
    rejected = make_application(
        status="rejected", reject_reason="請負金額を確認してください", decided_at="2026-11-02T10:00:00+09:00"
    )
    issued = make_application()
    numbers = [g["number"] for g in issuance.issue(STAFF, issued.application_id)]

    listing = client.http.get("/netdesk/applications", headers=cookie).body.decode()
    assert f'href="/netdesk/applications/{rejected.application_id}"' in listing and "詳細" in listing

    page = client.http.get(f"/netdesk/applications/{rejected.application_id}", headers=cookie).body.decode()
    assert "差戻し" in page and "請負金額を確認してください" in page and "却下" not in page
    assert f'href="/netdesk/applications/new?copy={rejected.application_id}"' in page

    copy = client.http.get(f"/netdesk/applications/new?copy={rejected.application_id}", headers=cookie).body.decode()
    assert "複製しました" in copy and 'name="project.name" value="5市単(笠建)第〇-〇号道路改良工事"' in copy
    assert 'name="advance_payment.amount" value="20000000"' in copy

    done = client.http.get(f"/netdesk/applications/{issued.application_id}", headers=cookie).body.decode()
    assert "発行済み" in done and numbers and all(f'href="/netdesk/guarantees/{n}"' in done for n in numbers)


def test_the_application_detail_flags_a_bounced_address_as_the_list_does(client):
    from chalicelib.services import bounces

    app = make_application(owner_org="c-0001")  # its delivery.email is soumu@example.co.jp
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")

    def page() -> str:
        resp = client.http.get(
            f"/netdesk/applications/{app.application_id}", headers={"Cookie": f"esurety_session={session}"}
        )
        assert resp.status_code == 200
        return resp.body.decode()

    assert "配信不能" not in page()
    bounce = {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "soumu@example.co.jp"}]}
    bounces.handle(json.dumps({"notificationType": "Bounce", "bounce": bounce}))
    assert "配信不能: このアドレスにはメールが届きません" in page()


def test_another_organisations_application_detail_is_404(client):
    theirs = make_application(owner_org="c-0002")
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    resp = client.http.get(
        f"/netdesk/applications/{theirs.application_id}", headers={"Cookie": f"esurety_session={session}"}
    )
    assert resp.status_code == 404


def test_form_confirm_edit_submit(client):
    cookie, csrf = cookie_login(client)
    before = tables.count("applications")
    confirm = post_form(client, cookie, {**FORM, "csrf_token": csrf, "step": "confirm"})
    assert confirm.status_code == 200, confirm.body.decode()[:2000]
    html = confirm.body.decode()
    assert "申込確認" in html and "令和8年10月30日" in html and "令和9年11月15日" in html
    assert "50,000,000円" in html and "20,000,000円" in html and "49,500千円" in html
    hidden = hidden_fields(html)
    assert all(hidden[k] == v for k, v in FORM.items())  # every value carried as typed
    assert tables.count("applications") == before  # nothing stored before 送信

    edit = post_form(client, cookie, {**hidden, "step": "edit"})
    assert edit.status_code == 200 and "申込作成" in edit.body.decode()
    assert 'value="50,000,000"' in edit.body.decode() and 'value="2026/10/30"' in edit.body.decode()

    done = post_form(client, cookie, {**hidden, "step": "submit"})
    assert done.status_code == 303
    again = post_form(client, cookie, {**hidden, "step": "submit"})  # a double click
    assert again.headers["Location"] == done.headers["Location"]
    assert tables.count("applications") == before + 1
    page = client.http.get(done.headers["Location"], headers=cookie).body.decode()
    app_id = done.headers["Location"].split("done=")[1]
    assert "送信完了" in page and app_id in page
    listing = client.http.get("/netdesk/applications", headers=cookie).body.decode()
    assert app_id in listing and "送信済み" in listing


def test_form_errors_are_shown_beside_each_field_and_values_kept(client):
    cookie, csrf = cookie_login(client)
    before = tables.count("applications")
    bad = {
        **FORM,
        "csrf_token": csrf,
        "step": "confirm",
        "advance_payment.amount": "20,000,001",
        "bid.award_date": "2023.10.30",
        "delivery.mail_to.postal_code": "1234",
        "project.contract_amount": "abc",
    }
    resp = post_form(client, cookie, bad)
    assert resp.status_code == 400
    html = resp.body.decode()
    for field in ("bid.award_date", "delivery.mail_to.postal_code", "project.contract_amount"):
        assert f'id="err-{field.replace(".", "-")}"' in html
    assert 'value="2023.10.30"' in html and 'value="abc"' in html
    assert tables.count("applications") == before
    # With a valid 請負金額 the 4/10 rule shows beside 前払金保証金額.
    resp = post_form(client, cookie, {**bad, "project.contract_amount": "50000000"})
    assert 'id="err-advance_payment-amount"' in resp.body.decode() and "4/10" in resp.body.decode()


def test_form_post_without_csrf_is_refused(client):
    cookie, _csrf = cookie_login(client)
    before = tables.count("applications")
    assert post_form(client, cookie, {**FORM, "step": "submit"}).status_code == 403
    assert tables.count("applications") == before


def test_form_links_to_the_e_surety_orderers(client):
    cookie, _ = cookie_login(client)
    html = client.http.get("/netdesk/applications/new", headers=cookie).body.decode()
    assert 'href="/netdesk/orderers"' in html and "必須" in html
    orderers = client.http.get("/netdesk/orderers", headers=cookie).body.decode()
    assert "笠間市長" in orderers and "水戸市長" in orderers and "〇〇村長" not in orderers
