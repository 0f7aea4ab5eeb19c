"""Issue 16: Net Desk and D-Sure as people use them — login targets, a form kept across an
expired session, bulk CSV as Excel saves it, messages that say where, the application detail page."""

from __future__ import annotations

import html as html_mod
import json
import re
from urllib.parse import parse_qs, quote, urlencode, urlparse

import pytest

from chalicelib.services import issuance
from chalicelib.store.models import AccessLogModel, ApplicationModel, AttemptModel, DraftModel
from tests.factories import make_application, make_guarantee
from tests.functional.conftest import bearer, body, browser_login
from tests.functional.netdesk.test_applications import FORM, stored
from tests.functional.staff.test_issuance import STAFF

URLENC = {"Content-Type": "application/x-www-form-urlencoded"}
NUMBER = "30026-000601M"
KEY = "Z28YUE4J3Bux"


def login_form(client, audience: str, login_id: str, password: str, next_path: str, cookie: str = ""):
    page = client.http.get(f"/{audience}/login?next={quote(next_path, safe='')}")
    nonce = re.search(r"esurety_login=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode()).group(1)
    form = {"csrf_token": token, "login": login_id, "password": password, "next": next_path}
    resp = client.http.post(
        f"/{audience}/login",
        headers={**URLENC, "Cookie": f"esurety_login={nonce}" + (f"; {cookie}" if cookie else "")},
        body=urlencode(form),
    )
    return page, resp


def session_of(resp) -> str:
    cookies = resp.headers["Set-Cookie"]
    cookies = "\n".join(cookies) if isinstance(cookies, list) else cookies
    return re.search(r"esurety_session=([^;]+)", cookies).group(1)


# --- login keeps the whole target, and only a same-site one -------------------------------------


def test_the_qr_link_keeps_its_number_through_login(client):
    target = f"/dsure/verify?number={NUMBER}"
    first = client.http.get(target)
    assert first.status_code == 303
    location = first.headers["Location"]
    assert parse_qs(urlparse(location).query)["next"] == [target]
    page, resp = login_form(client, "dsure", "kasama", "demo-pass-4", target)
    assert f'name="next" value="{html_mod.escape(target)}"' in page.body.decode()
    assert resp.status_code == 303 and resp.headers["Location"] == target
    back = client.http.get(target, headers={"Cookie": f"esurety_session={session_of(resp)}"})
    assert f'value="{NUMBER}"' in back.body.decode()


def test_net_desk_deep_links_keep_their_query_too(client):
    first = client.http.get("/netdesk/guarantees?tab=electronic&kind=advance_payment")
    assert parse_qs(urlparse(first.headers["Location"]).query)["next"] == [
        "/netdesk/guarantees?tab=electronic&kind=advance_payment"
    ]


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/dsure/",
        "/dsure/\r\nX: y",
        "/netdesk/applications",
        "/dsure/../staff",
    ],
)
def test_login_never_redirects_off_site_or_to_another_portal(client, evil):
    _page, resp = login_form(client, "dsure", "kasama", "demo-pass-4", evil)
    assert resp.status_code == 303 and resp.headers["Location"] == "/dsure/"


def test_logout_says_so(client):
    session, _home = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    top = client.http.get("/netdesk", headers={"Cookie": f"esurety_session={session}"}).body.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', top).group(1)
    out = client.http.post(
        "/netdesk/logout",
        headers={**URLENC, "Cookie": f"esurety_session={session}"},
        body=urlencode({"csrf_token": csrf}),
    )
    assert out.status_code == 303
    assert "ログアウトしました" in client.http.get(out.headers["Location"]).body.decode()


# --- a session that ends mid-form keeps the form --------------------------------------------------


def _draft_cookie(resp) -> str | None:
    cookies = resp.headers.get("Set-Cookie", "")
    cookies = "\n".join(cookies) if isinstance(cookies, list) else cookies
    m = re.search(r"esurety_draft=([^;]*)", cookies)
    return m.group(1) if m else None


def test_an_expired_session_on_confirm_keeps_the_form_and_returns_to_confirm_after_login(client):
    before = stored()
    fields = {**FORM, "project.name": "セッション切れ後も残る工事", "csrf_token": "stale", "step": "confirm"}
    expired = client.http.post(
        "/netdesk/applications/new", headers={**URLENC, "Sec-Fetch-Site": "same-origin"}, body=urlencode(fields)
    )
    assert expired.status_code == 303
    query = parse_qs(urlparse(expired.headers["Location"]).query)
    assert query["next"] == ["/netdesk/applications/new?resume=1"] and query["notice"] == ["expired"]
    draft = _draft_cookie(expired)
    assert draft and "HttpOnly" in str(expired.headers["Set-Cookie"])
    # kept sealed: the table holds no readable trace of the form
    rows = [row.serialize() for row in DraftModel.scan()]
    assert (
        len(rows) == 1
        and "セッション切れ" not in json.dumps(rows, ensure_ascii=False)
        and draft not in json.dumps(rows)
    )
    assert "保存" in client.http.get(expired.headers["Location"]).body.decode()

    _page, login = login_form(client, "netdesk", "demo-contractor", "demo-pass-1", query["next"][0])
    assert login.headers["Location"] == "/netdesk/applications/new?resume=1"
    cookie = f"esurety_session={session_of(login)}; esurety_draft={draft}"
    back = client.http.get(login.headers["Location"], headers={"Cookie": cookie})
    html = back.body.decode()
    assert back.status_code == 200 and "申込確認" in html and "復元しました" in html
    assert "セッション切れ後も残る工事" in html and "令和8年10月30日" in html
    assert _draft_cookie(back) == ""  # the cookie is cleared…
    assert stored() == before  # …and nothing was submitted behind the person's back
    again = client.http.get(login.headers["Location"], headers={"Cookie": cookie}).body.decode()
    assert "見つかりませんでした" in again  # single use


def test_a_cross_site_post_cannot_plant_a_draft(client):
    resp = client.http.post(
        "/netdesk/applications/new",
        headers={**URLENC, "Sec-Fetch-Site": "cross-site"},
        body=urlencode({**FORM, "step": "confirm"}),
    )
    assert resp.status_code == 303 and _draft_cookie(resp) is None
    assert list(DraftModel.scan()) == []


def test_a_tampered_draft_id_opens_nothing(client):
    client.http.post("/netdesk/applications/new", headers=URLENC, body=urlencode({**FORM, "step": "confirm"}))
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    resp = client.http.get(
        "/netdesk/applications/new?resume=1", headers={"Cookie": f"esurety_session={session}; esurety_draft=forged"}
    )
    assert resp.status_code == 200 and "見つかりませんでした" in resp.body.decode()


# --- bulk CSV as Excel saves it -------------------------------------------------------------------


def test_excel_cp932_csv_with_the_japanese_header_counts_only_data_lines(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    data = f"保証契約番号,認証キー\r\n{NUMBER},{KEY}\r\n\r\n30026-999999M,{KEY}\r\n".encode("cp932")
    resp = client.http.post(
        "/api/verify/bulk", headers=bearer(tokens["kasama"], **{"Content-Type": "text/csv"}), body=data
    )
    assert resp.status_code == 200
    assert [(i["line"], i["result"]) for i in body(resp)["items"]] == [(2, "valid"), (4, "not_found")]
    assert list(AccessLogModel.query("保証契約番号")) == []
    assert AttemptModel.count("verify:kasama:保証契約番号") == 0


@pytest.mark.parametrize(
    "data", [b"", b"\r\n\r\n", "保証契約番号,認証キー\r\n".encode("cp932"), b"\xef\xbb\xbfnumber,auth_key\n"]
)
def test_no_data_line_is_a_400_in_japanese(client, tokens, data):
    resp = client.http.post(
        "/api/verify/bulk", headers=bearer(tokens["kasama"], **{"Content-Type": "text/csv"}), body=data
    )
    assert resp.status_code == 400
    assert "確認する行がありません" in body(resp)["errors"][0]["message"]


def test_bulk_page_with_neither_file_nor_text_says_what_to_do(client, tokens):
    resp = client.http.post("/dsure/bulk", headers=bearer(tokens["kasama"], **URLENC), body=urlencode({"csv": ""}))
    assert resp.status_code == 400
    html = resp.body.decode()
    assert "確認する行がありません" in html and "bulk-result" not in html


def test_bulk_results_download_as_csv_with_bom_and_neutralised_cells(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    lines = f"{NUMBER},{KEY}\n=cmd|' /C calc'!A0,x\n"
    page = client.http.post("/dsure/bulk", headers=bearer(tokens["kasama"], **URLENC), body=urlencode({"csv": lines}))
    html = page.body.decode()
    assert 'id="download-results"' in html
    hidden = re.findall(r'<input type="hidden" name="(line|number|result)" value="([^"]*)"', html)
    form = [(k, html_mod.unescape(v)) for k, v in hidden]
    resp = client.http.post("/dsure/bulk/results.csv", headers=bearer(tokens["kasama"], **URLENC), body=urlencode(form))
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    text = resp.body.decode("utf-8") if isinstance(resp.body, bytes) else resp.body
    assert text.startswith("\ufeff")
    assert f"1,{NUMBER},有効,valid" in text and "'=cmd" in text
    assert len(list(AccessLogModel.query(NUMBER))) == 1  # downloading verified nothing again


# --- messages that say what and where --------------------------------------------------------------


def _form_page(client):
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    cookie = {"Cookie": f"esurety_session={session}"}
    new = client.http.get("/netdesk/applications/new", headers=cookie).body.decode()
    return cookie, re.search(r'name="csrf_token" value="([^"]+)"', new).group(1), new


def _post(client, cookie, fields):
    return client.http.post("/netdesk/applications/new", headers={**cookie, **URLENC}, body=urlencode(fields))


def test_minus_five_and_twenty_digits_are_explained_and_linked_from_the_summary(client):
    cookie, csrf, _ = _form_page(client)
    resp = _post(
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
    resp = _post(client, cookie, {**FORM, "csrf_token": csrf, "step": "confirm", "project.orderer_id": "08999"})
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
    resp = _post(client, cookie, {**FORM, "csrf_token": csrf, "step": "clear:bid"})
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
    resp = _post(client, cookie, {**FORM, "csrf_token": csrf, "step": "edit", "bid.award_date": "20231030"})
    assert re.search(r'<output id="f-bid-award_date-era"[^>]*>令和5年10月30日</output>', resp.body.decode())


# --- the wrong key ---------------------------------------------------------------------------------


def test_wrong_key_and_unknown_number_give_the_same_hints_and_count_down(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)

    def attempt(number, key):
        return client.http.post(
            "/dsure/verify",
            headers=bearer(tokens["kasama"], **URLENC),
            body=urlencode({"number": number, "auth_key": key}),
        ).body.decode()

    wrong = attempt(NUMBER, KEY.lower())
    unknown = attempt("30026-999999M", KEY)
    for page in (wrong, unknown):
        assert "認証キーは大文字と小文字を区別します" in page and "あと4回失敗すると15分間確認できなくなります" in page
    for left in (3, 2, 1):
        assert f"あと{left}回失敗すると15分間確認できなくなります" in attempt(NUMBER, "x")
    assert "15分間確認できなくなりました" in attempt(NUMBER, "x")
    # the JSON API's 404 body stays one and the same
    api = client.http.post(
        "/api/verify",
        headers=bearer(tokens["mito"], **{"Content-Type": "application/json"}),
        body=json.dumps({"number": NUMBER, "auth_key": "x"}),
    )
    assert set(body(api)) == {"errors"} and "あと" not in api.body.decode()


# --- the application detail page -------------------------------------------------------------------


def test_application_detail_status_reason_copy_and_issued_guarantees(client):
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    cookie = {"Cookie": f"esurety_session={session}"}
    rejected = make_application(status="rejected")
    rejected.update(
        actions=[
            ApplicationModel.reject_reason.set("請負金額を確認してください"),
            ApplicationModel.decided_at.set("2026-11-02T10:00:00+09:00"),
        ]
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


def test_staff_lists_say_sashimodoshi_too(client, tokens):
    app = make_application()
    issuance.reject(STAFF, app.application_id, "書類不備")
    html = client.http.get("/staff/applications?status=rejected", headers=bearer(tokens["staff"])).body.decode()
    assert "差戻し" in html
