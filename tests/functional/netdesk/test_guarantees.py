"""Issue 6: 保証契約一覧, 電子保証概要, certificate, PDF downloads and 閲覧履歴 for contractors."""

from __future__ import annotations

import datetime as dt
import urllib.request
from urllib.parse import quote, urlencode

import pytest

from chalicelib.domain import clock
from chalicelib.domain.records import AccessLogEntry
from chalicelib.store import access_log, guarantees, objects
from tests import dynamodb_calls, tables
from tests.factories import add_version, make_guarantee
from tests.functional.conftest import bearer, body

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
BASE = dt.datetime(2026, 9, 1, 10, 0, tzinfo=clock.JST)


def number(i: int, letter: str = "M") -> str:
    return f"30026-{i:06d}{letter}"


def at(day: int, hour: int = 10) -> str:
    return (BASE + dt.timedelta(days=day, hours=hour - 10)).isoformat()


def put_pdf(prefix: str, data: bytes = PDF) -> str:
    key = objects.new_key(prefix)
    objects.put_pending(key, data)
    objects.release(key)
    return key


def get(client, path: str, token: str, **params):
    query = ("?" + urlencode(params)) if params else ""
    return client.http.get(path + query, headers=bearer(token))


def numbers_of(resp) -> list[str]:
    assert resp.status_code == 200, resp.body
    return [item["number"] for item in body(resp)["items"]]


def all_pages(client, token: str, limit: int, **params) -> tuple[list[str], int]:
    """Follow next_cursor to the end; every page but the last must be full."""
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        extra = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        out = body(get(client, "/api/guarantees", token, **extra))
        pages += 1
        cursor = out["next_cursor"]
        seen += [item["number"] for item in out["items"]]
        if cursor is None:
            return seen, pages
        assert len(out["items"]) == limit


@pytest.fixture
def many():
    """45 guarantees of demo-contractor, one a day, mixed kinds/forms/projects, plus 3 of other-contractor."""
    made = []
    for i in range(45):
        kind = "advance_payment" if i % 3 else "contract_guarantee"
        form = "paper" if i % 5 == 0 else "electronic"
        project = f"{'橋梁補修' if i % 4 == 0 else '道路改良'}工事 第{i}号"
        made.append(
            make_guarantee(
                number(i, "M" if kind == "advance_payment" else "K"),
                kind=kind,
                form=form,
                project_name=project,
                issued_at=at(i),
            )
        )
    for i in range(3):
        make_guarantee(number(900 + i), contractor_org="c-0002", contractor_name="△△工業 株式会社", issued_at=at(i))
    return made


# --- 保証契約一覧: filters and pages ---------------------------------------------------------


def test_list_is_newest_first_with_the_api_shape(client, tokens, many):
    out = body(get(client, "/api/guarantees", tokens["contractor"]))
    assert len(out["items"]) == 20 and out["next_cursor"]
    first = out["items"][0]
    assert first == {
        "number": many[44].number,
        "kind": many[44].kind,
        "form": many[44].form,
        "status": "valid",
        "orderer_id": "08216",
        "orderer_name": "笠間市長",
        "project_name": many[44].details["project_name"],
        "contract_amount": 50000000,
        "guarantee_amount": many[44].details["guarantee_amount"],
        "issued_at": at(44),
    }
    issued = [item["issued_at"] for item in out["items"]]
    assert issued == sorted(issued, reverse=True)


def test_pagination_covers_every_item_once(client, tokens, many):
    seen, pages = all_pages(client, tokens["contractor"], 20)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 45
    assert seen == [g.number for g in reversed(many)]


def test_pagination_with_a_filter_that_drops_items_keeps_pages_full(client, tokens, many):
    expected = [g.number for g in reversed(many) if g.form == "electronic" and g.kind == "advance_payment"]
    seen, pages = all_pages(client, tokens["contractor"], 7, form="electronic", kind="advance_payment")
    assert seen == expected
    assert pages == -(-len(expected) // 7)


def test_exact_multiple_of_the_limit_gives_no_empty_last_page(client, tokens, many):
    out = body(get(client, "/api/guarantees", tokens["contractor"], limit=45))
    assert len(out["items"]) == 45 and out["next_cursor"] is None
    out = body(get(client, "/api/guarantees", tokens["contractor"], limit=100))
    assert len(out["items"]) == 45 and out["next_cursor"] is None


FILTER_CASES = (
    ({"kind": "advance_payment"}, lambda g: g.kind == "advance_payment"),
    ({"kind": "contract_guarantee"}, lambda g: g.kind == "contract_guarantee"),
    ({"form": "electronic"}, lambda g: g.form == "electronic"),
    ({"form": "paper"}, lambda g: g.form == "paper"),
    ({"project": "橋梁"}, lambda g: "橋梁" in g.details["project_name"]),
    ({"project": "第1"}, lambda g: "第1" in g.details["project_name"]),
    ({"issued_from": "2026-09-10"}, lambda g: g.issued_at[:10] >= "2026-09-10"),
    ({"issued_to": "2026-09-10"}, lambda g: g.issued_at[:10] <= "2026-09-10"),
    ({"issued_from": "2026-09-05", "issued_to": "2026-09-05"}, lambda g: g.issued_at[:10] == "2026-09-05"),
    (
        {"issued_from": "2026-09-03", "issued_to": "2026-09-30", "kind": "advance_payment", "project": "道路"},
        lambda g: (
            "2026-09-03" <= g.issued_at[:10] <= "2026-09-30"
            and g.kind == "advance_payment"
            and "道路" in g.details["project_name"]
        ),
    ),
)


def test_every_filter(client, tokens, many):
    for params, predicate in FILTER_CASES:
        _check_filter(client, tokens, many, params, predicate)


def _check_filter(client, tokens, many, params, predicate):
    expected = [g.number for g in reversed(many) if predicate(g)]
    assert expected, "the fixture must give each filter something to find"
    assert len(expected) < 45, "and something to drop"
    seen, _ = all_pages(client, tokens["contractor"], 10, **params)
    assert seen == expected


def test_project_search_ignores_width_and_case(client, tokens):
    make_guarantee(number(1), project_name="ＡＢＣ道路工事", issued_at=at(1))
    assert numbers_of(get(client, "/api/guarantees", tokens["contractor"], project="abc")) == [number(1)]


def test_period_bounds_are_inclusive_jst_days(client, tokens):
    make_guarantee(number(1), issued_at="2026-09-05T00:00:00+09:00")
    make_guarantee(number(2), issued_at="2026-09-05T23:59:59.999999+09:00")
    make_guarantee(number(3), issued_at="2026-09-06T00:00:00+09:00")
    make_guarantee(number(4), issued_at="2026-09-04T23:59:59+09:00")
    day = numbers_of(
        get(client, "/api/guarantees", tokens["contractor"], issued_from="2026-09-05", issued_to="2026-09-05")
    )
    assert day == [number(2), number(1)]


def test_pinpoint_number(client, tokens, many):
    target = many[17].number
    assert numbers_of(get(client, "/api/guarantees", tokens["contractor"], number=target)) == [target]
    # full-width input is forgiven
    wide = target.translate(str.maketrans("0123456789-MK", "０１２３４５６７８９－ＭＫ"))
    assert numbers_of(get(client, "/api/guarantees", tokens["contractor"], number=wide)) == [target]
    # with another filter that excludes it: nothing
    other_kind = "contract_guarantee" if many[17].kind == "advance_payment" else "advance_payment"
    assert numbers_of(get(client, "/api/guarantees", tokens["contractor"], number=target, kind=other_kind)) == []
    assert numbers_of(get(client, "/api/guarantees", tokens["contractor"], number=number(999))) == []


def test_pinpoint_number_of_another_contractor_finds_nothing(client, tokens, many):
    assert numbers_of(get(client, "/api/guarantees", tokens["contractor"], number=number(900))) == []
    assert numbers_of(get(client, "/api/guarantees", tokens["other"], number=many[0].number)) == []


def test_status_is_effective(client, tokens):
    make_guarantee(number(1), issued_at=at(1), status="cancelled")
    make_guarantee(number(2), issued_at=at(2), deadline="2020-01-31")
    make_guarantee(number(3), issued_at=at(3))
    out = {i["number"]: i["status"] for i in body(get(client, "/api/guarantees", tokens["contractor"]))["items"]}
    assert out == {number(1): "cancelled", number(2): "expired", number(3): "valid"}


BAD_QUERIES = (
    ({"limit": "101"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"cursor": "garbage"}, "cursor"),
    ({"cursor": "eyJhIjoxfQ.0123456789abcdef0123456789abcdef"}, "cursor"),
    ({"kind": "bid_bond"}, "kind"),
    ({"form": "pdf"}, "form"),
    ({"issued_from": "2026-13-01"}, "issued_from"),
    ({"issued_from": "2026-09-10", "issued_to": "2026-09-01"}, "issued_to"),
    ({"number": "12345"}, "number"),
    ({"colour": "red"}, "colour"),
)


def test_bad_query_is_a_field_level_400(client, tokens):
    for params, field in BAD_QUERIES:
        resp = get(client, "/api/guarantees", tokens["contractor"], **params)
        assert resp.status_code == 400, (params, resp.body)
        errors = body(resp)["errors"]
        assert field in [e["field"] for e in errors], params
        assert all(e["message"] for e in errors)


def test_a_cursor_cannot_be_replayed_by_another_contractor_or_outside_its_period(client, tokens, many):
    cursor = body(get(client, "/api/guarantees", tokens["contractor"], limit=5))["next_cursor"]
    assert cursor
    # signed, but for c-0001's partition: other-contractor gets a 400, not a 500 and not c-0001's data
    resp = get(client, "/api/guarantees", tokens["other"], cursor=cursor)
    assert resp.status_code == 400
    # a cursor from outside the requested period is refused too
    resp = get(client, "/api/guarantees", tokens["contractor"], cursor=cursor, issued_to="2026-09-02")
    assert resp.status_code == 400
    # a views cursor is not a list cursor
    g = many[44]
    for i in range(3):
        access_log.append(
            AccessLogEntry(
                g.number, f"2026-10-0{i + 1}T10:00:00+09:00#{i}", orderer_id="08216", login="kasama", result="valid"
            )
        )
    vcursor = body(get(client, f"/api/guarantees/{g.number}/views", tokens["contractor"], limit=1))["next_cursor"]
    assert vcursor
    assert get(client, "/api/guarantees", tokens["contractor"], cursor=vcursor).status_code == 400


# --- No Scan ----------------------------------------------------------------------------------


def test_no_route_issues_a_scan(client, tokens, many):
    g = many[44]
    add_version(g, 2, "change", issued_at=at(50))
    tables.update("guarantees", {"number": g.number}, latest_version=2)
    g = guarantees.get(g.number)
    access_log.append(
        AccessLogEntry(g.number, "2026-10-01T10:00:00+09:00#a", orderer_id="08216", login="kasama", result="valid")
    )
    make_guarantee(
        number(500), pdf_key=put_pdf("certificates"), key_notice_key=put_pdf("key-notices"), issued_at=at(60)
    )
    with dynamodb_calls.recorded() as calls:  # every operation the shared DynamoDB client sends
        t = tokens["contractor"]
        paths = [
            "/api/guarantees",
            "/api/guarantees?limit=7&form=electronic&project=%E9%81%93%E8%B7%AF",
            "/api/guarantees?issued_from=2026-09-10&issued_to=2026-09-20&kind=contract_guarantee",
            f"/api/guarantees?number={g.number}",
            f"/api/guarantees/{g.number}",
            f"/api/guarantees/{g.number}/certificate",
            f"/api/guarantees/{g.number}/certificate?version=1",
            f"/api/guarantees/{number(500)}/certificate.pdf",
            f"/api/guarantees/{number(500)}/key-notice.pdf",
            f"/api/guarantees/{g.number}/views",
            "/netdesk/guarantees",
            "/netdesk/guarantees?tab=electronic&project=%E6%A9%8B",
            f"/netdesk/guarantees/{g.number}",
            f"/netdesk/guarantees/{g.number}/certificate?version=2",
        ]
        for path in paths:
            resp = client.http.get(path, headers=bearer(t))
            assert resp.status_code in (200, 302), (path, resp.status_code, resp.body)
        # follow the list to its end as well
        all_pages(client, t, 10, form="electronic")
    assert "Query" in calls and "GetItem" in calls
    assert "Scan" not in calls, calls


# --- 電子保証概要, certificate, PDFs, 閲覧履歴 ------------------------------------------------------


def test_detail_has_the_api_shape_with_key_and_versions(client, tokens):
    g = make_guarantee(number(7), issued_at="2026-10-31T13:15:00+09:00")
    v2 = add_version(g, 2, "correction", issued_at="2026-11-02T09:00:00+09:00", reason="工事名の誤記")
    resp = get(client, f"/api/guarantees/{g.number}", tokens["contractor"])
    assert resp.status_code == 200
    assert resp.headers.get("Cache-Control") == "no-store"
    out = body(resp)
    versions = out.pop("versions")
    assert out == {
        "number": g.number,
        "kind": "advance_payment",
        "form": "electronic",
        "status": "valid",
        "contractor_name": "〇〇建設 株式会社",
        "jv_name": None,
        "project_name": "5市単(笠建)第〇-〇号道路改良工事",
        "orderer_id": "08216",
        "orderer_name": "笠間市長",
        "contract_amount": 50000000,
        "guarantee_amount": 20000000,
        "deposit_bank": "〇〇銀行 ××支店",
        "deadline": "2027-11-15",
        "auth_key": "Z28YUE4J3Bux",
    }
    assert [(v["version"], v["kind"], v["issued_at"]) for v in versions] == [
        (1, "new", "2026-10-31T13:15:00+09:00"),
        (2, "correction", "2026-11-02T09:00:00+09:00"),
    ]
    assert versions[1]["sha256"] == v2.sha256 and len(versions[0]["sha256"]) == 64


def test_cancelled_detail_says_cancelled(client, tokens):
    g = make_guarantee(number(8), status="cancelled", deadline="2020-01-01")
    assert body(get(client, f"/api/guarantees/{g.number}", tokens["contractor"]))["status"] == "cancelled"


def test_certificate_content_per_version(client, tokens):
    g = make_guarantee(number(7))
    v2 = add_version(g, 2, "change", reason="増額")
    tables.update("guarantees", {"number": g.number}, latest_version=2)
    latest = body(get(client, f"/api/guarantees/{g.number}/certificate", tokens["contractor"]))
    assert latest == v2.content and latest["version"] == 2
    first = body(get(client, f"/api/guarantees/{g.number}/certificate", tokens["contractor"], version=1))
    assert first["version"] == 1 and first["version_kind"] == "new"
    assert get(client, f"/api/guarantees/{g.number}/certificate", tokens["contractor"], version=3).status_code == 404
    assert get(client, f"/api/guarantees/{g.number}/certificate", tokens["contractor"], version="x").status_code == 400


def _fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - the loopback moto server
        return resp.status, resp.read()


@pytest.mark.parametrize(("route", "attr"), [("certificate.pdf", "pdf_key"), ("key-notice.pdf", "key_notice_key")])
def test_pdf_routes_redirect_to_a_short_lived_url_serving_the_bytes(client, tokens, route, attr):
    cert_pdf = PDF + b"% certificate\n"
    notice_pdf = PDF + b"% key notice\n"
    g = make_guarantee(
        number(7), pdf_key=put_pdf("certificates", cert_pdf), key_notice_key=put_pdf("key-notices", notice_pdf)
    )
    resp = get(client, f"/api/guarantees/{g.number}/{route}", tokens["contractor"])
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert "X-Amz-Expires=60" in location or "Expires=" in location
    status, data = _fetch(location)
    assert status == 200
    assert data == (cert_pdf if attr == "pdf_key" else notice_pdf)


def test_pdf_routes_use_the_newest_version_that_has_one(client, tokens):
    g = make_guarantee(number(7), pdf_key=put_pdf("certificates"), key_notice_key=put_pdf("key-notices"))
    newer = PDF + b"% v2\n"
    add_version(g, 2, "change", pdf_key=put_pdf("certificates", newer))
    resp = get(client, f"/api/guarantees/{g.number}/certificate.pdf", tokens["contractor"])
    assert _fetch(resp.headers["Location"])[1] == newer
    # v2 carries no key notice: the v1 one is still served
    resp = get(client, f"/api/guarantees/{g.number}/key-notice.pdf", tokens["contractor"])
    assert resp.status_code == 302 and _fetch(resp.headers["Location"])[1] == PDF


def test_paper_guarantee_has_no_key_and_no_key_notice(client, tokens):
    g = make_guarantee(number(7), form="paper", pdf_key=put_pdf("certificates"))
    out = body(get(client, f"/api/guarantees/{g.number}", tokens["contractor"]))
    assert out["form"] == "paper" and out.get("auth_key") is None
    assert get(client, f"/api/guarantees/{g.number}/key-notice.pdf", tokens["contractor"]).status_code == 404
    assert get(client, f"/api/guarantees/{g.number}/certificate.pdf", tokens["contractor"]).status_code == 302
    page = client.http.get(f"/netdesk/guarantees/{g.number}", headers=bearer(tokens["contractor"]))
    assert page.status_code == 200
    assert "key-notice.pdf" not in page.body.decode() and "認証キー:" not in page.body.decode()
    html = page.body.decode()
    assert "電子保証発行日時" not in html and "<th>発行日時</th>" in html  # a paper history is not electronic
    window = client.http.get(
        f"/netdesk/guarantees/{g.number}/certificate?version=1", headers=bearer(tokens["contractor"])
    )
    notes = window.body.decode().split("(注)", 1)[1]
    assert "D-Sure" not in notes and "お届けします" in notes  # paper guarantees have no D-Sure entry


def test_missing_pdf_is_404(client, tokens):
    g = make_guarantee(number(7))  # no objects recorded
    assert get(client, f"/api/guarantees/{g.number}/certificate.pdf", tokens["contractor"]).status_code == 404
    assert get(client, f"/api/guarantees/{g.number}/key-notice.pdf", tokens["contractor"]).status_code == 404


def test_views_newest_first_for_this_number_only(client, tokens):
    # Issue 15 / API.md: the items are the named orderer's views; failed attempts by anyone
    # (08201's probe, 08216's own malformed row) are only counted. Rows go through the
    # repository so the count is kept as the app keeps it.
    g = make_guarantee(number(7))
    other = make_guarantee(number(8))
    rows = [
        ("2026-10-01T10:00:00+09:00#aa", "08216", "invalid"),
        ("2026-10-01T10:01:00+09:00#bb", "08216", "valid"),
        ("2026-10-02T10:01:00+09:00#b2", "08216", "cancelled"),
        ("2026-10-03T09:00:00+09:00#cc", "08201", "not_found"),
        ("2026-10-03T09:30:00+09:00#c2", "08201", "valid"),  # another orderer's success is not a view here
    ]
    for at_, orderer, result in rows:
        access_log.append(AccessLogEntry(number=g.number, at=at_, orderer_id=orderer, login="x", result=result))
    access_log.append(
        AccessLogEntry(other.number, "2026-10-02T00:00:00+09:00#dd", orderer_id="08216", login="x", result="valid")
    )
    out = body(get(client, f"/api/guarantees/{g.number}/views", tokens["contractor"]))
    assert out["items"] == [
        {"at": "2026-10-02T10:01:00+09:00", "orderer_id": "08216", "result": "cancelled"},
        {"at": "2026-10-01T10:01:00+09:00", "orderer_id": "08216", "result": "valid"},
    ]
    assert out["failed_attempts"] == {"count": 2, "last_at": "2026-10-03T09:00:00+09:00"}
    assert out["next_cursor"] is None
    first = body(get(client, f"/api/guarantees/{g.number}/views", tokens["contractor"], limit=1))
    rest = body(get(client, f"/api/guarantees/{g.number}/views", tokens["contractor"], cursor=first["next_cursor"]))
    assert [v["at"] for v in first["items"] + rest["items"]] == [v["at"] for v in out["items"]]
    # a views cursor of one number is refused on another
    resp = get(client, f"/api/guarantees/{other.number}/views", tokens["contractor"], cursor=first["next_cursor"])
    assert resp.status_code == 400


# --- Authorisation ----------------------------------------------------------------------------

ROUTES = ["", "/certificate", "/certificate?version=1", "/certificate.pdf", "/key-notice.pdf", "/views"]
PAGES = [
    "/netdesk/guarantees/{n}",
    "/netdesk/guarantees/{n}/certificate",
    "/netdesk/guarantees/{n}/certificate?version=1",
]


@pytest.fixture
def owned():
    g = make_guarantee(number(7), pdf_key=put_pdf("certificates"), key_notice_key=put_pdf("key-notices"))
    access_log.append(
        AccessLogEntry(g.number, "2026-10-01T10:00:00+09:00#a", orderer_id="08216", login="kasama", result="valid")
    )
    return g


def test_another_contractors_guarantee_is_the_same_404_as_a_missing_one(client, tokens, owned):
    for suffix in ROUTES:
        mine = client.http.get(f"/api/guarantees/{owned.number}{suffix}", headers=bearer(tokens["contractor"]))
        assert mine.status_code in (200, 302), suffix
        theirs = client.http.get(f"/api/guarantees/{owned.number}{suffix}", headers=bearer(tokens["other"]))
        missing = client.http.get(f"/api/guarantees/{number(999)}{suffix}", headers=bearer(tokens["other"]))
        assert theirs.status_code == missing.status_code == 404, suffix
        assert theirs.body == missing.body, suffix
        assert "Z28YUE4J3Bux" not in theirs.body.decode()
        assert "Location" not in theirs.headers


def test_another_contractors_guarantee_page_is_404(client, tokens, owned):
    for template in PAGES:
        theirs = client.http.get(template.format(n=owned.number), headers=bearer(tokens["other"]))
        missing = client.http.get(template.format(n=number(999)), headers=bearer(tokens["other"]))
        assert theirs.status_code == missing.status_code == 404, template
        assert theirs.body == missing.body
        assert owned.number not in theirs.body.decode()


def test_another_contractors_guarantees_are_absent_from_its_lists(client, tokens, owned):
    assert numbers_of(get(client, "/api/guarantees", tokens["other"])) == []
    assert numbers_of(get(client, "/api/guarantees", tokens["other"], number=owned.number)) == []
    page = client.http.get("/netdesk/guarantees", headers=bearer(tokens["other"])).body.decode()
    assert owned.number not in page
    assert numbers_of(get(client, "/api/guarantees", tokens["contractor"])) == [owned.number]


def test_orderer_and_staff_get_403(client, tokens, owned):
    for who in ("staff", "kasama", "mito"):
        for suffix in (None, *ROUTES):
            path = "/api/guarantees" if suffix is None else f"/api/guarantees/{owned.number}{suffix}"
            resp = client.http.get(path, headers=bearer(tokens[who]))
            assert resp.status_code == 403, (who, path)


def test_no_credentials_is_401_and_pages_redirect_to_login(client, owned):
    assert client.http.get("/api/guarantees").status_code == 401
    assert client.http.get(f"/api/guarantees/{owned.number}").status_code == 401
    resp = client.http.get(f"/netdesk/guarantees/{owned.number}")
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("/netdesk/login?next=")


# --- Pages ------------------------------------------------------------------------------------


def page_html(client, token: str, path: str) -> str:
    resp = client.http.get(path, headers=bearer(token))
    assert resp.status_code == 200, (path, resp.status_code, resp.body[:500])
    return resp.body.decode()


def test_list_page_mirrors_the_seed(client, tokens, many):
    html = page_html(client, tokens["contractor"], "/netdesk/guarantees")
    for label in (
        "保証契約一覧",
        "範囲検索",
        "ピンポイント検索",
        "保証の種類",
        "期間",
        "工事名",
        "保証契約番号",
        "保証申込",
        "電子保証(認証キー)",
        "契約保証予約(入札ボンド)",
        "No.",
        "発注者名",
        "請負金額",
        "電子保証(認証キー)のお知らせ",
        "詳細",
        "50,000,000円",
        "契約者: 〇〇建設 株式会社",
    ):
        assert label in html, label
    # 保証申込 tab: all kinds and forms, newest first, 20 per page, with a next link and no previous one
    assert html.count('href="/netdesk/guarantees/30026-') == 20
    assert html.index(many[44].number) < html.index(many[43].number)
    assert "次のページへ" in html and "前のページへ" not in html
    assert "1ページ目 (1～20件目)" in html


def test_list_page_next_and_previous_links_are_honest(client, tokens, many):
    import html as html_mod
    import re

    t = tokens["contractor"]
    seen: list[str] = []
    path = "/netdesk/guarantees"
    visited = []
    while True:
        text = page_html(client, t, path)
        visited.append(path)
        seen += re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', text)
        m = re.search(r'href="([^"]+)" rel="next"', text)
        if not m:
            break
        path = html_mod.unescape(m.group(1))
    assert len(visited) == 3
    assert seen == [g.number for g in reversed(many)]
    assert "3ページ目 (41～45件目)" in text
    # back from page 3 gives page 2 exactly
    prev = html_mod.unescape(re.search(r'href="([^"]+)" rel="prev"', text).group(1))
    again = page_html(client, t, prev)
    assert re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', again) == seen[20:40]
    assert "2ページ目 (21～40件目)" in again
    prev1 = html_mod.unescape(re.search(r'href="([^"]+)" rel="prev"', again).group(1))
    first = page_html(client, t, prev1)
    assert re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', first) == seen[:20]


def test_electronic_tab_lists_electronic_only_and_bond_tab_says_not_offered(client, tokens, many):
    import re

    t = tokens["contractor"]
    html = page_html(client, t, "/netdesk/guarantees?tab=electronic&kind=advance_payment")
    shown = re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', html)
    expected = [g.number for g in reversed(many) if g.form == "electronic" and g.kind == "advance_payment"][:20]
    assert shown == expected
    bond = page_html(client, t, "/netdesk/guarantees?tab=bond")
    assert "該当する契約保証予約はありません" in bond  # issue 17: the tab now lists reservations (none here)
    assert not re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', bond)


def test_list_page_searches(client, tokens, many):
    import re

    t = tokens["contractor"]
    target = many[12].number
    html = page_html(client, t, f"/netdesk/guarantees?number={quote(target)}")
    assert re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', html) == [target]
    typed = target.replace("-", " ").lower().translate(str.maketrans("0123456789mk", "０１２３４５６７８９ｍｋ"))
    html = page_html(client, t, f"/netdesk/guarantees?number={quote(typed)}")  # ピンポイント検索 as people type
    assert re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', html) == [target]
    html = page_html(
        client, t, "/netdesk/guarantees?issued_from=2026-09-05&issued_to=2026-09-06&project=" + quote("道路")
    )
    expected = [
        g.number
        for g in reversed(many)
        if g.issued_at[:10] in ("2026-09-05", "2026-09-06") and "道路" in g.details["project_name"]
    ]
    assert re.findall(r'href="/netdesk/guarantees/(30026-\d{6}[MK])"', html) == expected


def test_list_page_bad_input_is_a_japanese_message_not_a_500(client, tokens):
    for query in ("issued_from=2026-02-30", "number=abc", "cursor=zzz", "kind=nope"):
        resp = client.http.get(f"/netdesk/guarantees?{query}", headers=bearer(tokens["contractor"]))
        assert resp.status_code == 400, query
        assert 'class="errors"' in resp.body.decode()


def test_detail_page_shows_the_key_history_and_views_and_is_not_cached(client, tokens):
    g = make_guarantee(number(7), issued_at="2023-10-31T13:15:00+09:00", deadline="2027-11-15")
    add_version(g, 2, "correction", issued_at="2023-11-02T09:30:00+09:00")
    access_log.append(
        AccessLogEntry(g.number, "2023-11-05T10:20:00+09:00#zz", orderer_id="08216", login="kasama", result="valid")
    )
    resp = client.http.get(f"/netdesk/guarantees/{g.number}", headers=bearer(tokens["contractor"]))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    html = resp.body.decode()
    for text in (
        "電子保証概要(前払金保証)",
        "保証契約番号",
        g.number,
        "請負契約者",
        "〇〇建設 株式会社 様",
        "JV名",
        "工事名",
        "5市単(笠建)第〇-〇号道路改良工事",
        "発注者名",
        "笠間市長",
        "請負金額",
        "50,000,000円",
        "保証金額",
        "20,000,000円",
        "商品名",
        "前払金保証",
        "預託金融機関",
        "〇〇銀行 ××支店",
        "※発注者にお知らせください。",
        "認証キー: <span",
        "Z28YUE4J3Bux",
        "電子保証発行日時",
        "令和5年10月31日 13:15",
        "新規",
        "令和5年11月2日 09:30",
        "訂正",
        "閲覧履歴",
        "令和5年11月5日 10:20",
    ):
        assert text in html, text
    assert f'href="/api/guarantees/{g.number}/key-notice.pdf"' in html and ">印刷<" in html
    assert f'href="/netdesk/guarantees/{g.number}/certificate?version=1">選択' in html
    assert f'href="/netdesk/guarantees/{g.number}/certificate?version=2">選択' in html
    views = html[html.index("閲覧履歴") :]
    assert "笠間市長" in views and "確認(有効)" in views


def test_certificate_page_shows_the_version_as_the_orderer_sees_it(client, tokens):
    g = make_guarantee(number(7))
    add_version(g, 2, "change", reason="増額")
    tables.update("guarantees", {"number": g.number}, latest_version=2)
    html = page_html(client, tokens["contractor"], f"/netdesk/guarantees/{g.number}/certificate?version=1")
    assert "保証証書 (前払金保証)" in html and "第1版" in html and "[変更]" not in html
    assert "当社は、前払金保証約款に基づき" in html and "令和9年11月15日" in html
    html2 = page_html(client, tokens["contractor"], f"/netdesk/guarantees/{g.number}/certificate")
    assert "第2版" in html2 and "[変更]" in html2
    bad = client.http.get(f"/netdesk/guarantees/{g.number}/certificate?version=0", headers=bearer(tokens["contractor"]))
    assert bad.status_code == 400
    gone = client.http.get(
        f"/netdesk/guarantees/{g.number}/certificate?version=9", headers=bearer(tokens["contractor"])
    )
    assert gone.status_code == 404


def test_pages_are_403_for_orderer_and_staff(client, tokens, owned):
    for who in ("staff", "kasama"):
        for path in ("/netdesk/guarantees", f"/netdesk/guarantees/{owned.number}"):
            assert client.http.get(path, headers=bearer(tokens[who])).status_code == 403


def test_openapi_declares_the_list_filters(client):
    doc = body(client.http.get("/api/openapi.json"))
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/guarantees"]["get"]["parameters"]}
    assert params["limit"]["maximum"] == 100 and params["limit"]["type"] == "integer"
    assert params["issued_from"]["format"] == "date"
    assert set(params["kind"]["enum"]) == {"advance_payment", "contract_guarantee"}
    assert set(params) == {"kind", "form", "issued_from", "issued_to", "project", "number", "limit", "cursor"}
    for suffix in ("", "/certificate", "/certificate.pdf", "/key-notice.pdf", "/views"):
        assert f"/api/guarantees/{{number}}{suffix}" in doc["paths"]
