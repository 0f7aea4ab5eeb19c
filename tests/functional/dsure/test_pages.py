"""Issue 7: the D-Sure pages (verify form, bulk upload or pasted lines, inbox) rendered by the app."""

from __future__ import annotations

import html as html_mod
import json
import re
from urllib.parse import urlencode

from tests import tables
from tests.factories import make_guarantee
from tests.forms import URLENC
from tests.functional.conftest import bearer, body, browser_login

KEY = "Z28YUE4J3Bux"
NUMBER = "30026-000401M"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_verify_form_prefills_number_from_qr_link_and_states_the_policy(client, tokens):
    resp = client.http.get(f"/dsure/verify?number={NUMBER}", headers=bearer(tokens["kasama"]))
    assert resp.status_code == 200
    html = resp.body.decode()
    assert f'value="{NUMBER}"' in html and "保証契約番号" in html and "認証キー" in html
    assert "5回続けて失敗" in html and "15分" in html
    assert resp.headers["Cache-Control"] == "no-store"


def test_verify_page_without_login_redirects_to_dsure_login(client):
    resp = client.http.get(f"/dsure/verify?number={NUMBER}")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/dsure/login")


def test_verify_page_shows_certificate_status_history_and_pdf(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY, pdf_key="certificates/x/y.pdf")
    resp = client.http.post(
        "/dsure/verify", headers=bearer(tokens["kasama"], **FORM), body=urlencode({"number": NUMBER, "auth_key": KEY})
    )
    assert resp.status_code == 200
    html = resp.body.decode()
    assert "有効" in html and "保証証書 (前払金保証)" in html and "5市単(笠建)第〇-〇号道路改良工事" in html
    assert "20,000,000円" in html and "証書の履歴" in html and "新規" in html and "SHA-256" in html
    assert "PDF" in html
    assert resp.headers["Cache-Control"] == "no-store"


def test_wrong_key_on_the_page_does_not_say_which_part_was_wrong(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    wrong = client.http.post(
        "/dsure/verify", headers=bearer(tokens["kasama"], **FORM), body=urlencode({"number": NUMBER, "auth_key": "x"})
    )
    unknown = client.http.post(
        "/dsure/verify",
        headers=bearer(tokens["kasama"], **FORM),
        body=urlencode({"number": "30026-999999M", "auth_key": KEY}),
    )
    assert wrong.status_code == unknown.status_code == 404
    msg = "保証契約番号または認証キーが正しくないか、確認できる保証がありません。"
    assert msg in wrong.body.decode() and msg in unknown.body.decode()


def test_bulk_page_verifies_pasted_lines(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    csv = f"number,auth_key\r\n{NUMBER},{KEY}\r\n30026-999999M,{KEY}\r\nbroken\r\n"
    resp = client.http.post("/dsure/bulk", headers=bearer(tokens["kasama"], **FORM), body=urlencode({"csv": csv}))
    assert resp.status_code == 200
    html = resp.body.decode()
    assert "確認結果" in html and "有効" in html and "確認できません" in html and "形式エラー" in html
    assert [r.result for r in tables.rows("access_log", number=NUMBER)] == ["valid"]
    valid_row = html.split('<tr class="result-valid">', 1)[1].split("</tr>", 1)[0]
    assert "5市単(笠建)第〇-〇号道路改良工事" in valid_row and "〇〇建設 株式会社" in valid_row  # 工事名, 受注者
    assert f'aria-label="{NUMBER} の' in valid_row and "<a href=" in valid_row  # a link to its certificate
    wrong_row = html.split('<tr class="result-not_found">', 1)[1].split("</tr>", 1)[0]
    assert "<a href=" not in wrong_row and "道路改良工事" not in wrong_row  # nothing of a failed row


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[str, bytes]:
    boundary = "----esurety-test-boundary"
    out = b""
    for name, value in fields.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        )
    for name, (filename, data) in files.items():
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", out


def test_bulk_page_verifies_an_uploaded_csv_file(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    data = f"number,auth_key\r\n{NUMBER},{KEY}\r\n30026-999999M,{KEY}\r\n".encode("cp932")
    ctype, payload = _multipart({"csv": ""}, {"csv_file": ("kakunin.csv", data)})
    resp = client.http.post("/dsure/bulk", headers=bearer(tokens["kasama"], **{"Content-Type": ctype}), body=payload)
    assert resp.status_code == 200, resp.body
    html = resp.body.decode()
    assert "確認結果" in html and "有効" in html and "確認できません" in html
    assert [r.result for r in tables.rows("access_log", number=NUMBER)] == ["valid"]


def test_bulk_page_upload_over_the_limit_is_refused_and_counts_nothing(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    data = "".join(f"{NUMBER},WRONGKEY{i:04d}\n" for i in range(201)).encode()
    ctype, payload = _multipart({}, {"csv_file": ("big.csv", data)})
    resp = client.http.post("/dsure/bulk", headers=bearer(tokens["kasama"], **{"Content-Type": ctype}), body=payload)
    assert resp.status_code == 413
    assert tables.rows("access_log", number=NUMBER) == []


def test_bulk_page_multipart_without_csrf_is_refused_for_cookie_sessions(client):
    import json

    session, _ = browser_login(client, "dsure", "kasama", "demo-pass-4")
    ctype, payload = _multipart({"csv": ""}, {"csv_file": ("a.csv", b"30026-000401M,Z28YUE4J3Bux\n")})
    refused = client.http.post(
        "/dsure/bulk", headers={"Cookie": f"esurety_session={session}", "Content-Type": ctype}, body=payload
    )
    assert refused.status_code == 403
    assert json.dumps([]) == json.dumps([r.result for r in tables.rows("access_log", number=NUMBER)])


def test_inbox_page_lists_verified_guarantees(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    client.http.post(
        "/dsure/verify", headers=bearer(tokens["kasama"], **FORM), body=urlencode({"number": NUMBER, "auth_key": KEY})
    )
    html = client.http.get("/dsure/inbox", headers=bearer(tokens["kasama"])).body.decode()
    assert NUMBER in html and f"/dsure/verify?number={NUMBER}" in html


def test_contractor_cannot_open_dsure_pages(client, tokens):
    assert client.http.get("/dsure/verify", headers=bearer(tokens["contractor"])).status_code == 403


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
    assert len(tables.rows("access_log", number=NUMBER)) == 1  # downloading verified nothing again


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
