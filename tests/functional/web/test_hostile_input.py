"""Issue 15, item 4: no 500 from anything a client sends, and a store outage is a 503.

Each payload here was a 500 (or a dropped connection) before: nested brackets
(RecursionError), integers past Python's 4,300-digit guard, lone surrogates,
a cursor of another list, ², ① on the staff form, CR/LF in `next`, and a
DynamoDB read timeout.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from chalicelib.store.connection import dynamodb_client
from tests import tables
from tests.factories import application_body, make_guarantee
from tests.forms import csrf_of, nonce_of
from tests.functional.conftest import bearer, body, login
from tests.hostile import nested_multipart

JSON = {"Content-Type": "application/json"}
NESTED = b"[" * 10_000 + b"]" * 10_000
NUMBER = "30026-000401M"


def _post(client, path, data: bytes, token: str | None = None):
    headers = bearer(token, **JSON) if token else dict(JSON)
    return client.http.post(path, headers=headers, body=data)


def _assert_clean_400(resp):
    assert resp.status_code == 400, (resp.status_code, resp.body[:200])
    text = resp.body.decode("utf-8")  # always encodable: nothing unstorable was echoed
    assert "\\ud800" not in text.lower() and "Traceback" not in text
    return json.loads(text)


@pytest.mark.parametrize(
    "path,who",
    [
        ("/api/session", None),
        ("/api/verify", "kasama"),
        ("/api/staff/applications/x/reject", "staff"),
        (f"/api/staff/guarantees/{NUMBER}/versions", "staff"),
        ("/api/applications", "contractor"),
    ],
)
def test_deeply_nested_json_is_a_400(client, tokens, path, who):
    _assert_clean_400(_post(client, path, NESTED[:60_000], tokens[who] if who else None))


def test_huge_integers_are_refused_before_conversion(client, tokens):
    payload = json.dumps(application_body()).replace("50000000", "9" * 5000).encode()
    out = _assert_clean_400(_post(client, "/api/applications", payload, tokens["contractor"]))
    assert out["errors"][0]["message"]
    limit = b'{"login": "x", "password": "y", "n": ' + b"1" * 4400 + b"}"
    _assert_clean_400(_post(client, "/api/session", limit))


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_numbers_are_refused(client, constant):
    _assert_clean_400(_post(client, "/api/session", b'{"login": "x", "password": ' + constant + b"}"))


def test_lone_surrogates_are_refused_without_echo(client, tokens):
    before = tables.count("sessions")
    out = _assert_clean_400(_post(client, "/api/session", b'{"login": "\\ud800", "password": "demo-pass-5"}'))
    assert out["errors"][0]["field"] == "login"
    _assert_clean_400(_post(client, "/api/verify", b'{"number": "\\udfff", "auth_key": "x"}', tokens["kasama"]))
    payload = json.dumps(application_body(), ensure_ascii=False).replace("道路改良工事", "\\ud800").encode()
    out = _assert_clean_400(_post(client, "/api/applications", payload, tokens["contractor"]))
    assert out["errors"][0]["field"] == "project.name"
    _assert_clean_400(_post(client, "/api/session", b'{"\\ud800": 1}'))
    assert tables.count("sessions") == before + 0 and client.http.get("/api/health").status_code == 200


def test_a_cursor_from_another_list_is_a_400(client, tokens):
    headers = bearer(tokens["contractor"])
    for _ in range(3):
        _post(client, "/api/applications", json.dumps(application_body()).encode(), tokens["contractor"])
    apps = body(client.http.get("/api/applications?limit=1", headers=headers))
    assert apps["next_cursor"]
    assert client.http.get(f"/api/guarantees?cursor={apps['next_cursor']}", headers=headers).status_code == 400
    submitted = f"/api/applications?status=submitted&limit=1&cursor={apps['next_cursor']}"
    assert client.http.get(submitted, headers=headers).status_code == 400  # same list, other filter
    staff = bearer(tokens["staff"])
    assert client.http.get(f"/api/staff/applications?cursor={apps['next_cursor']}", headers=staff).status_code == 400
    inbox = bearer(tokens["kasama"])
    assert client.http.get(f"/api/orderer/guarantees?cursor={apps['next_cursor']}", headers=inbox).status_code == 400
    nxt = body(client.http.get(f"/api/applications?limit=1&cursor={apps['next_cursor']}", headers=headers))
    assert len(nxt["items"]) == 1  # the cursor still works where it came from


@pytest.mark.parametrize("raw", ["²", "①", "1²", "٣", "1e3", "-5", "9" * 40])
def test_strange_integers_in_queries_are_400(client, tokens, raw):
    resp = client.http.get(f"/api/applications?limit={quote(raw)}", headers=bearer(tokens["contractor"]))
    out = _assert_clean_400(resp)
    assert "invalid literal" not in json.dumps(out)


def _staff_form(client, tokens, **fields):
    form = "&".join(f"{k}={quote(v)}" for k, v in fields.items())
    return client.http.post(
        f"/staff/guarantees/{NUMBER}/versions",
        headers=bearer(tokens["staff"], **{"Content-Type": "application/x-www-form-urlencoded"}),
        body=form,
    )


@pytest.mark.parametrize("amount", ["²", "①", "2０００００００²", "1" * 40, "１ ０"])
def test_staff_form_amounts_are_parsed_strictly(client, tokens, amount):
    make_guarantee(NUMBER)
    resp = _staff_form(client, tokens, kind="change", guarantee_amount=amount, reason="減額")
    assert resp.status_code == 400
    assert "金額は1以上の整数" in resp.body.decode()


def test_full_width_digits_on_the_staff_form_are_read(client, tokens):
    import re

    make_guarantee(NUMBER)
    resp = _staff_form(client, tokens, kind="change", guarantee_amount="１８，０００，０００", reason="減額")
    # Issue 14: the form first shows what will change (before → after), then its confirmation writes.
    html = resp.body.decode()
    assert resp.status_code == 200 and "18,000,000円" in html, html[:300]
    action = re.search(r'<form method="post" action="([^"]+)" id="confirm">', html).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    resp = client.http.post(
        action,
        headers=bearer(tokens["staff"], **{"Content-Type": "application/x-www-form-urlencoded"}),
        body="&".join(f"{k}={quote(v)}" for k, v in fields.items()),
    )
    assert resp.status_code == 303, resp.body[:300]


def test_a_crlf_next_is_refused_before_a_session_is_made(client):

    page = client.http.get("/netdesk/login")
    nonce = nonce_of(page)
    token = csrf_of(page.body.decode())
    resp = client.http.post(
        "/netdesk/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"esurety_login={nonce}"},
        body=f"csrf_token={token}&login=demo-contractor&password=demo-pass-1&next=/netdesk/%0d%0aX:1",
    )
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/netdesk/" and "X" not in resp.headers


@pytest.mark.parametrize("path", ["/api/applications", "/api/guarantees", "/api/reservations"])
def test_a_cursor_signed_with_non_ascii_is_a_400(client, tokens, path):
    # Found by fuzzing: hmac.compare_digest raises TypeError on a non-ASCII str (a 500).
    resp = client.http.get(f"{path}?cursor=%06.%C3%92%C3%87%C3%BE", headers=bearer(tokens["contractor"]))
    assert resp.status_code == 400, resp.body
    assert body(resp)["errors"][0]["field"] == "cursor"


def test_a_non_ascii_csrf_field_or_totp_code_is_refused_not_a_500(client):

    page = client.http.get("/netdesk/login")
    nonce = nonce_of(page)
    resp = client.http.post(
        "/netdesk/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"esurety_login={nonce}"},
        body=f"csrf_token={quote('é' * 64)}&login=demo-contractor&password=demo-pass-1&next=/netdesk/",
    )
    assert resp.status_code == 403, resp.body
    first = client.http.post(
        "/api/session", headers=JSON, body=json.dumps({"login": "ibaraki-staff", "password": "demo-pass-3"})
    )
    for code in ("١٢٣٤٥٦", "²²²²²²"):  # str.isdigit() says yes to both
        resp = client.http.post(
            "/api/session/mfa", headers=JSON, body=json.dumps({"mfa_token": body(first)["mfa_token"], "code": code})
        )
        assert resp.status_code == 401, resp.body


@pytest.fixture
def store_down():
    """Every DynamoDB call after the session look-up fails as a timeout would."""
    state = {"calls": 0, "exc": ReadTimeoutError(endpoint_url="http://dynamodb")}

    def fail(model, **_kwargs):
        state["calls"] += 1
        if state["calls"] > 1:
            raise state["exc"]

    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", fail, unique_id="store-down")
    yield state
    events.unregister("before-call.dynamodb", unique_id="store-down")


@pytest.mark.parametrize("exc", [ReadTimeoutError(endpoint_url="x"), EndpointConnectionError(endpoint_url="x")])
def test_a_store_timeout_is_a_503_with_retry_after(client, tokens, store_down, exc):
    store_down["exc"] = exc
    resp = _post(client, "/api/verify", b'{"number": "30026-000001M", "auth_key": "x"}', tokens["kasama"])
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    assert "Error" not in resp.body.decode() and "Traceback" not in resp.body.decode()
    store_down["calls"] = 0
    page = client.http.get("/netdesk/guarantees", headers=bearer(tokens["contractor"]))
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"project__period_start": "0001-01-01"}, "project.period_start"),
        ({"project__period_end": "9999-12-31"}, "project.period_end"),
        ({"project__period_end": "2040-01-01"}, "project.period_end"),  # 工期 over 10 years
        ({"bid__award_date": "00010101"}, "bid.award_date"),
    ],
)
def test_dates_outside_a_sane_window_are_refused(client, tokens, overrides, field):
    payload = json.dumps(application_body(**overrides)).encode()
    out = _assert_clean_400(_post(client, "/api/applications", payload, tokens["contractor"]))
    assert field in {e["field"] for e in out["errors"]}


def test_a_change_cannot_stretch_the_period_past_ten_years(client, tokens):
    make_guarantee(NUMBER)
    resp = _staff_form(client, tokens, kind="change", period_end="9999-12-31", reason="延長")
    assert resp.status_code == 400 and "10年以内" in resp.body.decode()


def test_an_idempotency_key_reused_after_expiry_with_another_body_makes_a_new_application(client, tokens):
    headers = bearer(tokens["contractor"], **JSON, **{"Idempotency-Key": "reused-key"})
    first = client.http.post("/api/applications", headers=headers, body=json.dumps(application_body()))
    assert first.status_code == 201
    for row in tables.rows("idempotency"):  # what DynamoDB's TTL does after 24 h
        tables.delete("idempotency", key=row.key)
    other = application_body(project__name="別の工事")
    second = client.http.post("/api/applications", headers=headers, body=json.dumps(other))
    assert second.status_code == 201
    assert body(second)["id"] != body(first)["id"] and body(second)["project"]["name"] == "別の工事"


def test_the_nested_multipart_body_is_4xx_on_every_page_route_and_never_parsed(client, monkeypatch):
    """Issue 26: a 64 KB multipart body nested 1,000 deep was a RecursionError after seconds of CPU on
    any page, before the session or CSRF was checked. Now the depth is bounded before anything
    parses the body: with no session and with a contractor's session, every page route answers 400
    and the form parser is never called."""
    import app as app_module
    from chalicelib.handlers import page

    parsed: list[str] = []
    monkeypatch.setattr(page, "parse_form", lambda request: parsed.append(request.path) or ({}, {}))
    monkeypatch.setattr(page, "_parse_multipart", lambda *a: parsed.append("multipart") or ({}, {}))
    ctype, nested = nested_multipart()
    routes = sorted(
        path.replace("{", "").replace("}", "")
        for path, entry in app_module.app.routes.items()
        if not path.startswith("/api/") and "POST" in entry
    )
    assert "/netdesk/login" in routes and "/account/reset" in routes and len(routes) > 20
    session_cookie = {"Cookie": f"esurety_session={login(client, 'demo-contractor', 'demo-pass-1')['token']}"}
    answers = {}
    for path in routes:
        for who, extra in (("anonymous", {}), ("session", session_cookie)):
            resp = client.http.post(path, headers={"Content-Type": ctype, **extra}, body=nested)
            answers[(path, who)] = resp.status_code
    assert {k: v for k, v in answers.items() if v != 400} == {} and parsed == []
