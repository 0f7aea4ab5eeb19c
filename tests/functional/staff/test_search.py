"""Issue 14 step 2: the clerks' search of guarantees (API.md `GET /api/staff/guarantees[/{number}]`)."""

from __future__ import annotations

import json
import urllib.parse

from tests import dynamodb_calls
from tests.factories import make_application, make_guarantee
from tests.functional.conftest import bearer, body

JSON = {"Content-Type": "application/json"}


def search(client, token, **query):
    q = urllib.parse.urlencode(query)
    return client.http.get(f"/api/staff/guarantees?{q}", headers=bearer(token))


def numbers(resp) -> list[str]:
    assert resp.status_code == 200, resp.body
    return [i["number"] for i in body(resp)["items"]]


def seed():
    make_guarantee("30026-000001M", issued_at="2026-10-01T10:00:00+09:00")
    make_guarantee(
        "30026-000002K",
        kind="contract_guarantee",
        orderer_id="08201",
        orderer_name="水戸市長",
        issued_at="2026-10-02T10:00:00+09:00",
    )
    make_guarantee(
        "30026-000003M",
        contractor_org="c-0002",
        contractor_name="△△工業 株式会社",
        status="cancelled",
        issued_at="2026-10-03T10:00:00+09:00",
    )
    make_guarantee("10026-000004M", issued_at="2026-10-04T10:00:00+09:00", branch_id="tokyo")


def test_search_by_number_as_typed_contractor_orderer_and_status(client, tokens):
    seed()
    staff = tokens["staff"]
    assert numbers(search(client, staff)) == [
        "30026-000003M",
        "30026-000002K",
        "30026-000001M",
    ]  # newest first, own branch
    assert numbers(search(client, staff, number=" ３００２６ー０００００１ｍ ")) == ["30026-000001M"]
    assert numbers(search(client, staff, contractor_id="c-0002")) == ["30026-000003M"]
    assert numbers(search(client, staff, orderer_id="08201")) == ["30026-000002K"]
    assert numbers(search(client, staff, status="cancelled")) == ["30026-000003M"]
    assert numbers(search(client, staff, contractor_id="c-0001", status="valid")) == ["30026-000002K", "30026-000001M"]
    item = body(search(client, staff, number="30026-000003M"))["items"][0]
    assert item["contractor_id"] == "c-0002" and item["contractor_name"] == "△△工業 株式会社"
    assert {
        "number",
        "kind",
        "form",
        "status",
        "orderer_id",
        "orderer_name",
        "project_name",
        "contract_amount",
        "guarantee_amount",
        "issued_at",
    } <= set(item)


def test_another_branchs_guarantee_is_not_found(client, tokens):
    seed()
    staff = tokens["staff"]
    assert numbers(search(client, staff, number="10026-000004M")) == []
    missing = client.http.get("/api/staff/guarantees/30026-999999M", headers=bearer(staff))
    foreign = client.http.get("/api/staff/guarantees/10026-000004M", headers=bearer(staff))
    assert missing.status_code == foreign.status_code == 404 and missing.body == foreign.body
    assert search(client, tokens["contractor"]).status_code == 403


def test_detail_is_the_overview_plus_contractor_id(client, tokens):
    seed()
    resp = client.http.get("/api/staff/guarantees/30026-000001m", headers=bearer(tokens["staff"]))
    assert resp.status_code == 200 and resp.headers.get("Cache-Control") == "no-store"
    out = body(resp)
    assert out["number"] == "30026-000001M" and out["contractor_id"] == "c-0001" and out["auth_key"] == "Z28YUE4J3Bux"
    assert [v["kind"] for v in out["versions"]] == ["new"]


def test_bad_input_is_a_field_400(client, tokens):
    staff = tokens["staff"]
    assert [e["field"] for e in body(search(client, staff, number="abc"))["errors"]] == ["number"]
    assert search(client, staff, status="nope").status_code == 400
    assert search(client, staff, cursor="garbage").status_code == 400


def test_paging_and_no_scan(client, tokens):
    seed()
    staff = tokens["staff"]
    with dynamodb_calls.recorded() as calls:
        first = body(search(client, staff, limit=2))
    assert "Scan" not in calls
    assert [i["number"] for i in first["items"]] == ["30026-000003M", "30026-000002K"] and first["next_cursor"]
    second = body(search(client, staff, limit=2, cursor=first["next_cursor"]))
    assert [i["number"] for i in second["items"]] == ["30026-000001M"] and second["next_cursor"] is None
    # a cursor of the orderer list is refused on the branch list
    by_orderer = body(search(client, staff, orderer_id="08216", limit=1))
    assert search(client, staff, cursor=by_orderer["next_cursor"]).status_code == 400


def test_issued_guarantees_are_found_by_the_branch_search(client, tokens):
    app = make_application()
    resp = client.http.post(
        f"/api/staff/applications/{app.application_id}/issue", headers=bearer(tokens["staff"], **JSON), body=""
    )
    issued = [g["number"] for g in json.loads(resp.body)["guarantees"]]
    assert sorted(numbers(search(client, tokens["staff"]))) == sorted(issued)


def test_console_top_search_and_review_show_names_and_every_field(client, tokens):
    make_guarantee("30026-000001M", issued_at="2026-10-01T10:00:00+09:00")
    app = make_application()
    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    top = client.http.get("/staff", headers=cookie).body.decode()
    assert "審査待ち (1件)" in top and "決裁待ち (0件)" in top and app.application_id in top
    found = client.http.get("/staff/guarantees?number=３００２６－０００００１ｍ", headers=cookie)
    assert found.status_code == 200 and "/staff/guarantees/30026-000001M" in found.body.decode()
    assert client.http.get("/staff/guarantees?number=abc", headers=cookie).status_code == 400
    review = client.http.get(f"/staff/applications/{app.application_id}", headers=cookie).body.decode()
    for text in (
        "笠間市長 (08216)",  # names, not codes
        "茨城支店",
        "入札の状況",
        "一般競争入札",
        "△△工業",
        "受取方法",
        "送付",
        "309-1792",
        "中間前払金",
        "再預託",
        "契約の種類",
        "工事",
        "〇〇建設 株式会社",  # the applicant
        "いずれも問題ありません",  # the rule checks
        "/staff/guarantees/30026-000001M",  # the contractor's other outstanding guarantee
    ):
        assert text in review, text


def test_a_clerk_finds_guarantees_by_part_of_a_name_and_by_a_number_as_people_type_it(client, tokens):
    seed()
    staff = tokens["staff"]
    assert numbers(search(client, staff, name="△△工業")) == ["30026-000003M"]  # the contractor's name
    assert numbers(search(client, staff, name="水戸")) == ["30026-000002K"]  # the 発注者's name
    assert numbers(search(client, staff, name="△△ 工業")) == ["30026-000003M"]  # spaces as typed
    assert numbers(search(client, staff, name="存在しない会社")) == []
    for typed in ("30026 000001m", "30026000001M", "３００２６－０００００１ｍ"):
        assert numbers(search(client, staff, number=typed)) == ["30026-000001M"]
    page = client.http.get("/staff/guarantees?name=%E6%B0%B4%E6%88%B8", headers=bearer(staff)).body.decode()
    assert "30026-000002K" in page and "30026-000001M" not in page and 'value="水戸"' in page


def test_every_staff_list_names_the_contractor_and_the_orderer(client, tokens):
    from tests.journeys import reserve

    make_application()
    reserve(client, tokens)
    make_guarantee("30026-000009M")
    asked = client.http.post(
        "/api/staff/guarantees/30026-000009M/reissue-key",
        headers={**bearer(tokens["chief"]), **JSON},
        body=json.dumps({"reason": "紛失"}),
    )
    assert asked.status_code == 202
    staff = bearer(tokens["staff"])
    for path in ("/staff", "/staff/applications", "/staff/reservations", "/staff/approvals", "/staff/guarantees"):
        page = client.http.get(path, headers=staff).body.decode()
        assert "〇〇建設" in page, path  # the contractor, by name (c-0001)
        if path != "/staff/approvals":
            assert "笠間市長" in page, path  # the 発注者, by name (08216)
        assert ">c-0001<" not in page and ">08216<" not in page, path
