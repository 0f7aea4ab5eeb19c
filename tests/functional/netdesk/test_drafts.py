"""services/drafts.py through 申込作成: a session that ends mid-form keeps the form, sealed, once, and only for the person whose browser posted it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlparse

from tests import tables
from tests.forms import APPLICATION_FORM as FORM
from tests.forms import URLENC, cookie_of, login_form, session_of
from tests.functional.conftest import browser_login


def test_an_expired_session_on_confirm_keeps_the_form_and_returns_to_confirm_after_login(client):
    before = tables.count("applications")
    fields = {**FORM, "project.name": "セッション切れ後も残る工事", "csrf_token": "stale", "step": "confirm"}
    expired = client.http.post(
        "/netdesk/applications/new", headers={**URLENC, "Sec-Fetch-Site": "same-origin"}, body=urlencode(fields)
    )
    assert expired.status_code == 303
    query = parse_qs(urlparse(expired.headers["Location"]).query)
    assert query["next"] == ["/netdesk/applications/new?resume=1"] and query["notice"] == ["expired"]
    draft = cookie_of(expired, "esurety_draft")
    assert draft and "HttpOnly" in str(expired.headers["Set-Cookie"])
    # kept sealed: the table holds no readable trace of the form
    rows = tables.images("drafts")
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
    assert cookie_of(back, "esurety_draft") == ""  # the cookie is cleared…
    assert tables.count("applications") == before  # …and nothing was submitted behind the person's back
    again = client.http.get(login.headers["Location"], headers={"Cookie": cookie}).body.decode()
    assert "見つかりませんでした" in again  # single use


def test_a_cross_site_post_cannot_plant_a_draft(client):
    resp = client.http.post(
        "/netdesk/applications/new",
        headers={**URLENC, "Sec-Fetch-Site": "cross-site"},
        body=urlencode({**FORM, "step": "confirm"}),
    )
    assert resp.status_code == 303 and cookie_of(resp, "esurety_draft") is None
    assert tables.rows("drafts") == []


def test_a_tampered_draft_id_opens_nothing(client):
    client.http.post("/netdesk/applications/new", headers=URLENC, body=urlencode({**FORM, "step": "confirm"}))
    session, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    resp = client.http.get(
        "/netdesk/applications/new?resume=1", headers={"Cookie": f"esurety_session={session}; esurety_draft=forged"}
    )
    assert resp.status_code == 200 and "見つかりませんでした" in resp.body.decode()
