"""The administrator's list of organisations (`GET /api/admin/organisations`, services/admin.py):
contractors and orderers by kind then id, or one kind by id, paged by a signed cursor."""

from __future__ import annotations

from urllib.parse import urlencode

from tests import dynamodb_calls, tables
from tests.admin_api import post
from tests.functional.conftest import bearer, body

CONTRACTORS = [
    {"id": "c-0001", "kind": "contractor", "name": "〇〇建設 株式会社", "status": "active"},
    {"id": "c-0002", "kind": "contractor", "name": "△△工業 株式会社", "status": "active"},
]
ORDERERS = [
    {"id": "08201", "kind": "orderer", "name": "水戸市長", "status": "active", "e_surety": True},
    {"id": "08216", "kind": "orderer", "name": "笠間市長", "status": "active", "e_surety": True},
    {"id": "08999", "kind": "orderer", "name": "〇〇村長", "status": "active", "e_surety": False},
]


def _get(client, token, **query):
    return client.http.get(f"/api/admin/organisations?{urlencode(query)}", headers=bearer(token))


def _all_pages(client, token, **query) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        resp = _get(client, token, **query, **({"cursor": cursor} if cursor else {}))
        assert resp.status_code == 200, resp.body
        pages.append(body(resp)["items"])
        cursor = body(resp)["next_cursor"]
        if not cursor:
            return pages


def test_every_contractor_and_orderer_is_listed_by_kind_then_id_as_its_own_read_answers(client, admin):
    listed = body(_get(client, admin))
    assert listed == {"items": CONTRACTORS + ORDERERS, "next_cursor": None}  # no branch, no hq
    for item in listed["items"]:
        assert body(client.http.get(f"/api/admin/organisations/{item['id']}", headers=bearer(admin))) == item


def test_what_the_admin_creates_or_disables_is_listed_at_once(client, admin):
    assert post(client, "/api/admin/contractors", admin, {"id": "c-0003", "name": "新建設"}).status_code == 201
    new = {"id": "08302", "name": "笠間村長", "e_surety": False}
    assert post(client, "/api/admin/orderers", admin, new).status_code == 201
    assert post(client, "/api/admin/organisations/08216/disable", admin).status_code == 200
    listed = body(_get(client, admin))["items"]
    assert [o["id"] for o in listed] == ["c-0001", "c-0002", "c-0003", "08201", "08216", "08302", "08999"]
    assert {o["id"]: o["status"] for o in listed}["08216"] == "disabled"
    assert listed[5] == {"id": "08302", "kind": "orderer", "name": "笠間村長", "status": "active", "e_surety": False}


def test_one_kind_is_listed_alone_through_a_query(client, admin):
    with dynamodb_calls.recorded() as calls:
        assert body(_get(client, admin, kind="orderer")) == {"items": ORDERERS, "next_cursor": None}
    assert "Query" in calls and "Scan" not in calls
    assert body(_get(client, admin, kind="contractor")) == {"items": CONTRACTORS, "next_cursor": None}


def test_small_pages_cover_the_list_once_without_an_empty_last_page(client, admin):
    assert _all_pages(client, admin, limit=2) == [CONTRACTORS, ORDERERS[:2], ORDERERS[2:]]
    assert _all_pages(client, admin, kind="orderer", limit=1) == [[o] for o in ORDERERS]
    assert _all_pages(client, admin, kind="contractor", limit=2) == [CONTRACTORS]


def test_a_bad_query_or_cursor_is_400_on_its_field(client, admin):
    bad = _get(client, admin, kind="branch", limit=0)
    assert bad.status_code == 400
    assert {(e["field"], e["code"]) for e in body(bad)["errors"]} == {("kind", "invalid"), ("limit", "invalid")}
    assert all(e["message"] for e in body(bad)["errors"])
    forged = _get(client, admin, cursor="forged.cursor")
    assert forged.status_code == 400 and body(forged)["errors"][0]["field"] == "cursor"
    # A real cursor belongs to the list it came from: not to another kind's, nor to the users' list.
    contractors = body(_get(client, admin, kind="contractor", limit=1))["next_cursor"]
    assert _get(client, admin, kind="orderer", cursor=contractors).status_code == 400
    assert _get(client, admin, cursor=contractors).status_code == 400
    users = body(client.http.get("/api/admin/users?limit=1", headers=bearer(admin)))["next_cursor"]
    assert _get(client, admin, cursor=users).status_code == 400


def test_only_an_admin_may_list_organisations(client, tokens):
    for who in ("contractor", "staff", "kasama"):
        assert _get(client, tokens[who]).status_code == 403
    anonymous = client.http.get("/api/admin/organisations")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_disabling_keeps_when_the_organisation_was_created(client, admin):
    assert post(client, "/api/admin/contractors", admin, {"id": "c-0003", "name": "新建設"}).status_code == 201
    created = tables.row("organisations", org_id="c-0003")["created_at"]
    assert created
    assert post(client, "/api/admin/organisations/c-0003/disable", admin).status_code == 200
    row = tables.row("organisations", org_id="c-0003")
    assert row["status"] == "disabled" and row["created_at"] == created and row["name"] == "新建設"


def test_a_renamed_orderer_is_read_and_listed_under_its_new_name(client, admin):
    renamed = client.http.patch(
        "/api/admin/orderers/08216",
        headers={**bearer(admin), "Content-Type": "application/json"},
        body='{"name": "笠間市長 山口伸樹"}',
    )
    assert renamed.status_code == 200 and body(renamed)["name"] == "笠間市長 山口伸樹"
    read = body(client.http.get("/api/admin/organisations/08216", headers=bearer(admin)))
    assert read["name"] == "笠間市長 山口伸樹"
    assert {o["id"]: o["name"] for o in body(_get(client, admin, kind="orderer"))["items"]}[
        "08216"
    ] == "笠間市長 山口伸樹"
    disabled = post(client, "/api/admin/organisations/08216/disable", admin)
    assert body(disabled)["name"] == "笠間市長 山口伸樹"
