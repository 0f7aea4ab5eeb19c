"""The public routes (handlers/public.py): health and the orderer list."""

from __future__ import annotations

from tests.functional.conftest import body


def test_health_names_the_stage(client):
    resp = client.http.get("/api/health")
    assert resp.status_code == 200
    assert body(resp) == {"status": "ok", "stage": "local"}


def test_orderers_list_and_e_surety_filter(client):
    all_items = body(client.http.get("/api/orderers"))["items"]
    assert {o["id"] for o in all_items} == {"08216", "08201", "08999"}
    only = body(client.http.get("/api/orderers?e_surety=true"))["items"]
    assert {o["id"] for o in only} == {"08216", "08201"}
    assert {"id": "08216", "name": "笠間市長", "e_surety": True} in only


def test_orderers_bad_query_is_400_not_500(client):
    resp = client.http.get("/api/orderers?e_surety=maybe")
    assert resp.status_code == 400
    assert body(resp)["errors"][0]["field"] == "e_surety"


def test_the_browser_s_favicon_request_is_answered_with_an_icon(client):
    resp = client.http.get("/favicon.ico")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/svg+xml"
    assert resp.body.decode().startswith("<svg")
