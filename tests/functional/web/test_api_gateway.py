"""Issue 12: the app works on both doors of a deployed stage (execute-api URL and custom domain).

Every request here is an API Gateway REST proxy event of the recorded shape,
sent to the Lambda handler `app.app(event, context)` (tests/functional/gateway.py).
A link, redirect, form action or cookie path built from the event's `path`
alone drops the stage segment and fails on the execute-api URL; these tests
follow every one of them through the door that served the page.
"""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import urlencode, urlsplit

import pytest

import app as app_module
from chalicelib.domain import clock
from chalicelib.handlers import binary
from tests import mfa
from tests.factories import APPLICATION_BODY, reservation_body
from tests.forms import APPLICATION_FORM, csrf_of
from tests.functional.conftest import DEMO
from tests.functional.gateway import Answer, Door

DOORS = {
    "execute-api": lambda: Door.execute_api(app_module.app),
    "custom-domain": lambda: Door.custom_domain(app_module.app),
}
LINK = re.compile(r'\b(href|action)="([^"]*)"')
FORM = re.compile(r'<form\b[^>]*\bmethod="(get|post)"[^>]*\baction="([^"]*)"', re.IGNORECASE)


@pytest.fixture(params=list(DOORS))
def door(request) -> Door:
    return DOORS[request.param]()


def page_login(door: Door, audience: str, login: str, password: str) -> str:
    """Log in through the page as a browser on this door would; returns the landing page."""
    form = door.get(f"{door.prefix}/{audience}/login")
    assert form.status == 200, form.text
    token = csrf_of(form.text)
    action = html.unescape(re.search(r'<form method="post" action="([^"]*/login)"', form.text).group(1))
    assert action == f"{door.prefix}/{audience}/login"
    done = door.post(
        action,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"csrf_token": token, "login": login, "password": password, "next": f"/{audience}/"}),
    )
    if mfa.needs_code(login):  # staff and admin (issue 13): the code page, on this door too
        assert done.status == 200, done.text
        assert door.cookie_paths() == {door.prefix or "/"}
        step = html.unescape(re.search(r'<form method="post" action="([^"]*)"', done.text).group(1))
        assert step == f"{door.prefix}/{audience}/login", step
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', done.text))
        done = door.post(
            step,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode({**{k: html.unescape(v) for k, v in fields.items()}, "code": mfa.code_for(login)}),
        )
    assert done.status == 303, done.text
    location = done.header("Location")
    assert location == f"{door.prefix}/{audience}/", location
    landing = door.get(location)
    assert landing.status == 200
    return landing.text


def api_token(door: Door, who: str) -> str:
    login, password = DEMO[who]
    resp = door.post(
        f"{door.prefix}/api/session",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"login": login, "password": password}),
    )
    assert resp.status == 200, resp.text
    out = json.loads(resp.body)
    if out.get("mfa_required"):  # staff and admin (issue 13)
        resp = door.post(
            f"{door.prefix}/api/session/mfa",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"mfa_token": out["mfa_token"], "code": mfa.code_for(login)}),
        )
        assert resp.status == 200, resp.text
        out = json.loads(resp.body)
    return out["token"]


def test_unauthenticated_page_redirects_to_login_under_the_door_prefix(door):
    resp = door.get(f"{door.prefix}/netdesk/guarantees")
    assert resp.status == 303
    assert resp.header("Location") == f"{door.prefix}/netdesk/login?next=/netdesk/guarantees"
    root = door.get(f"{door.prefix}/")
    assert root.status == 303 and root.header("Location") == f"{door.prefix}/netdesk/login"


def test_login_sets_cookies_scoped_to_the_door_prefix_and_logout_clears_them(door):
    page_login(door, "netdesk", *DEMO["contractor"])
    assert door.cookie_paths() == {door.prefix or "/"}
    assert "esurety_session" in door.cookies
    home = door.get(f"{door.prefix}/netdesk")
    logout = re.search(r'action="([^"]+/logout)"', home.text).group(1)
    csrf = csrf_of(home.text)
    out = door.post(logout, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=f"csrf_token={csrf}")
    assert out.status == 303 and out.header("Location") == f"{door.prefix}/netdesk/login?notice=logged_out"
    assert "esurety_session" not in door.cookies


def test_a_form_kept_across_an_expired_session_comes_back_under_the_door_prefix(door):
    """Issue 16 keeps what was typed when the session ended; its cookie and the way back are the door's."""
    kept = door.post(
        f"{door.prefix}/netdesk/applications/new",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
        body=urlencode({**APPLICATION_FORM, "project.name": "扉の向こうの道路改良工事", "step": "confirm"}),
    )
    assert kept.status == 303, kept.text
    assert kept.header("Location").startswith(f"{door.prefix}/netdesk/login?")
    assert "esurety_draft" in door.cookies
    assert door.cookies["esurety_draft"][1] == f"{door.prefix}/netdesk/applications"
    page_login(door, "netdesk", *DEMO["contractor"])
    # The browser sends the draft cookie back only if its Path is under the door's prefix.
    resumed = door.get(f"{door.prefix}/netdesk/applications/new?resume=1")
    assert resumed.status == 200, resumed.text
    assert "復元しました" in resumed.text and "扉の向こうの道路改良工事" in resumed.text
    assert "esurety_draft" not in door.cookies  # cleared on the same path


def test_the_execute_api_url_without_its_stage_segment_never_reaches_the_app():
    door = Door.execute_api(app_module.app)
    assert door.get("/netdesk/login").status == 403  # API Gateway's own answer
    assert door.get("/api/netdesk/login").status == 200


def fresh(door: Door) -> Door:
    """Another browser on the same door (its own cookies)."""
    return Door(door.app, door.host, door.prefix, door.context_prefix)


def _issue_one(door: Door) -> list[dict]:
    contractor = api_token(door, "contractor")
    created = door.post(
        f"{door.prefix}/api/applications",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {contractor}"},
        body=json.dumps(APPLICATION_BODY),
    )
    assert created.status == 201, created.text
    app_id = json.loads(created.body)["id"]
    staff = api_token(door, "staff")
    _pay(door, staff, f"applications/{app_id}", json.loads(created.body)["fees"]["total"])
    issued = door.post(
        f"{door.prefix}/api/staff/applications/{app_id}/issue",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {staff}"},
        body="{}",
    )
    assert issued.status == 201, issued.text
    return json.loads(issued.body)["guarantees"]


def _pay(door: Door, staff: str, subject: str, total: int) -> None:
    """Issue 17: the 保証料 is recorded paid before anything is issued, through this door too."""
    paid = door.post(
        f"{door.prefix}/api/staff/{subject}/payment",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {staff}"},
        body=json.dumps({"amount": total, "paid_on": clock.today().isoformat()}),
    )
    assert paid.status == 200, paid.text


def _reserve(door: Door, issue: bool) -> str:
    """Issue 17: a 契約保証予約, submitted (staff see its pay/issue/reject forms) or paid and issued."""
    contractor = api_token(door, "contractor")
    created = door.post(
        f"{door.prefix}/api/reservations",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {contractor}"},
        body=json.dumps(reservation_body()),
    )
    assert created.status == 201, created.text
    reservation = json.loads(created.body)
    if issue:
        staff = api_token(door, "staff")
        _pay(door, staff, f"reservations/{reservation['id']}", reservation["fees"]["total"])
        issued = door.post(
            f"{door.prefix}/api/staff/reservations/{reservation['id']}/issue",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {staff}"},
            body="{}",
        )
        assert issued.status == 201, issued.text
        return json.loads(issued.body)["number"]
    return reservation["id"]


def _links(page: str) -> list[tuple[str, str]]:
    return [(kind, html.unescape(value)) for kind, value in LINK.findall(page)]


def _walk(door: Door, start: str, seen: set[str], limit: int = 60) -> int:
    """GET every link reachable from `start` (POST forms are checked, not sent); returns pages read."""
    queue, pages = [start], 0
    while queue and pages < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resp = door.get(url)
        pages += 1
        if resp.status in (302, 303):
            location = resp.header("Location") or ""
            if urlsplit(location).scheme:  # a presigned S3 URL: outside the app, by design
                assert not location.startswith(f"https://{door.host}"), location
                assert url.endswith(("certificate.pdf", "key-notice.pdf", "fee-statement.pdf")), url
                continue
            assert location.startswith(door.prefix + "/"), f"{url} redirects out of the prefix: {location}"
            queue.append(location)
            continue
        assert resp.status == 200, f"{url} through {door.name}: {resp.status} {resp.text[:300]}"
        if not (resp.header("Content-Type") or "").startswith("text/html"):
            continue
        for method, action in FORM.findall(resp.text):
            action = html.unescape(action)
            assert action.startswith(door.prefix + "/"), f"form on {url} leaves the prefix: {action}"
            found = door._resource(action[len(door.prefix) :].split("?")[0])
            assert found, f"form action {action} on {url} matches no route"
            assert method.upper() in door.app.routes[found[0]], f"{action} does not take {method}"
            if method.lower() == "get":
                queue.append(action)
        for kind, link in _links(resp.text):
            if kind != "href" or link.startswith("#"):
                continue
            if urlsplit(link).scheme:
                assert urlsplit(link).netloc != door.host, f"absolute link to the app on {url}: {link}"
                continue
            assert link.startswith(door.prefix + "/") and not link.startswith("//"), f"{url} links out: {link}"
            queue.append(link)
    return pages


def test_page_walk_every_link_of_a_journey_stays_under_the_prefix(door):
    guarantees = _issue_one(door)
    electronic = next(g for g in guarantees if g["auth_key"])
    reserved = _reserve(door, issue=True)  # issue 17: the bond tab lists it, with its way to an application
    waiting = _reserve(door, issue=False)  # and the staff queue shows its forms
    seen: set[str] = set()

    contractor = fresh(door)
    page_login(contractor, "netdesk", *DEMO["contractor"])
    assert _walk(contractor, f"{door.prefix}/netdesk", seen) >= 8
    assert any(f"/netdesk/guarantees/{electronic['number']}" in u for u in seen)
    assert any(u.endswith("/key-notice.pdf") for u in seen)
    assert any("/netdesk/guarantees?tab=bond" in u for u in seen)
    assert any(f"/netdesk/guarantees/{reserved}" in u for u in seen)
    assert any("/netdesk/reservations/new" in u for u in seen)
    assert any(f"/netdesk/applications/new?reservation={reserved}" in u for u in seen)

    staff = fresh(door)
    page_login(staff, "staff", *DEMO["staff"])
    assert _walk(staff, f"{door.prefix}/staff", seen) >= 4
    assert any("/staff/applications/" in u for u in seen)
    # Since issue 14 the console's top and the issued application link to the guarantee page, so the
    # walk from /staff may have read it already; either way it was read through the door (200).
    guarantee_page = f"{door.prefix}/staff/guarantees/{electronic['number']}"
    assert guarantee_page in seen or _walk(staff, guarantee_page, seen) >= 1
    assert guarantee_page in seen
    assert any(u.endswith("/staff/reservations") for u in seen)  # from the staff top, like 申込一覧
    assert any(u.endswith(f"/staff/reservations/{waiting}") for u in seen)

    orderer = fresh(door)
    page_login(orderer, "dsure", *DEMO["kasama"])
    assert _walk(orderer, f"{door.prefix}/dsure", seen) >= 4

    # Issue 13's pages: the admin console's forms, and the login page's way to a password reset.
    admin = fresh(door)
    page_login(admin, "admin", "admin", "demo-pass-7")
    assert _walk(admin, f"{door.prefix}/admin", seen) >= 1
    anonymous = fresh(door)
    assert _walk(anonymous, f"{door.prefix}/netdesk/login", seen) >= 2
    assert any(u.startswith(f"{door.prefix}/account/reset") for u in seen)
    verify = orderer.get(f"{door.prefix}/dsure/verify?number={electronic['number']}")
    csrf = csrf_of(verify.text)
    action = html.unescape(re.search(r'<form method="post" action="([^"]*/dsure/verify)"', verify.text).group(1))
    result = orderer.post(
        action,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"csrf_token": csrf, "number": electronic["number"], "auth_key": electronic["auth_key"]}),
    )
    assert result.status == 200 and "有効" in result.text
    for _kind, link in _links(result.text):
        if urlsplit(link).scheme or link.startswith("#"):
            continue  # the presigned PDF URL; the page's own skip link (#main)
        assert link.startswith(door.prefix + "/"), link


# --- CP932 bodies through API Gateway (binary_types) ----------------------------------------------


def test_cp932_csv_survives_api_gateway_to_the_bulk_api(door):
    guarantees = _issue_one(door)
    electronic = next(g for g in guarantees if g["auth_key"])
    token = api_token(door, "kasama")
    data = f"number,auth_key\r\n笠間-一,キー\r\n{electronic['number']},{electronic['auth_key']}\r\n".encode("cp932")
    resp = door.post(
        f"{door.prefix}/api/verify/bulk",
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
        body=data,
    )
    assert resp.status == 200, resp.text
    items = json.loads(resp.body)["items"]
    assert [i["result"] for i in items][-1] == "valid"
    assert items[0]["number"] == "笠間-一"  # decoded from CP932, not mangled into U+FFFD


def test_cp932_csv_file_survives_api_gateway_to_the_bulk_page(door):
    guarantees = _issue_one(door)
    electronic = next(g for g in guarantees if g["auth_key"])
    door = fresh(door)  # a browser of its own: the API logins above set their cookies
    page_login(door, "dsure", *DEMO["kasama"])
    form = door.get(f"{door.prefix}/dsure/bulk")
    csrf = csrf_of(form.text)
    data = f"number,auth_key\r\n笠間-一,キー\r\n{electronic['number']},{electronic['auth_key']}\r\n".encode("cp932")
    boundary = "----doorboundary7MA4YWxkTrZu0gW"
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="csv"\r\n\r\n\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="csv_file"; filename="kakunin.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    resp = door.post(
        f"{door.prefix}/dsure/bulk",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        body=payload,
    )
    assert resp.status == 200, resp.text
    assert electronic["number"] in resp.text and "有効" in resp.text
    assert "笠間-一" in resp.text


def _bulk_results_download(door: Door) -> Answer:
    """Verify two lines on the bulk page as the orderer's browser, then press 結果をCSVでダウンロード."""
    guarantees = _issue_one(door)
    electronic = next(g for g in guarantees if g["auth_key"])
    door = fresh(door)
    page_login(door, "dsure", *DEMO["kasama"])
    form = door.get(f"{door.prefix}/dsure/bulk")
    csrf = csrf_of(form.text)
    lines = f"{electronic['number']},{electronic['auth_key']}\n=cmd|' /C calc'!A0,x\n"
    shown = door.post(
        f"{door.prefix}/dsure/bulk",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"csrf_token": csrf, "csv": lines}),
    )
    assert shown.status == 200, shown.text
    download = re.search(r'<form method="post" action="([^"]+)" class="download">(.*?)</form>', shown.text, re.S)
    action = html.unescape(download.group(1))
    assert action == f"{door.prefix}/dsure/bulk/results.csv"
    fields = [(k, html.unescape(v)) for k, v in re.findall(r'name="([a-z_]+)" value="([^"]*)"', download.group(2))]
    return door.post(action, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=urlencode(fields))


def test_the_bulk_results_csv_reaches_a_browser_as_csv(door):
    """Issue 16's download is UTF-8 text: answered in base64, API Gateway would give a browser (whose
    first Accept is text/html) the base64 string, so the function answers it as text."""
    resp = _bulk_results_download(door)
    assert resp.status == 200, resp.text
    assert resp.header("Content-Type").startswith("text/csv")
    assert resp.text.startswith("\ufeff") and ",有効,valid" in resp.text and "'=cmd" in resp.text


def test_the_simulation_would_show_a_base64_csv_download(monkeypatch):
    """The simulation is honest on the answer side too: a CSV answered in base64 arrives as base64."""
    from chalicelib.domain import verify_csv

    text = verify_csv.results_csv
    monkeypatch.setattr(verify_csv, "results_csv", lambda *args: text(*args).encode("utf-8"))  # binary needs bytes
    monkeypatch.setattr(app_module.app.api, "binary_types", [*binary.ANSWERED, "text/csv"])
    resp = _bulk_results_download(Door.execute_api(app_module.app))
    assert resp.status == 200
    assert not resp.text.startswith("\ufeff") and base64.b64decode(resp.body).startswith("\ufeff".encode())


def test_without_binary_types_api_gateway_would_corrupt_the_csv(monkeypatch):
    """The simulation is honest: take text/csv out of API Gateway's binary types and the CP932 bytes break."""
    door = Door.execute_api(app_module.app)
    monkeypatch.setattr(binary, "GATEWAY", ["application/pdf"])
    data = "保証契約番号,認証キー\r\n30026-000401M,Z28YUE4J3Bux\r\n".encode("cp932")
    headers = {"Content-Type": "text/csv"}
    event = door._event("POST", "/api/api/verify/bulk", "/api/verify/bulk", "/api/verify/bulk", {}, "", headers, data)
    assert event["isBase64Encoded"] is False
    assert event["body"].encode("utf-8") != data
