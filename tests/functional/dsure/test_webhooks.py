"""API.md "Webhooks": registration by an orderer's user or machine client, targets checked without a
look-up at registration and resolved/checked at send, Standard Webhooks signatures, retries with the
same event id, `failed` after 24 h, and the events the stream functions queue."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.services import webhooks as webhooks_service
from tests import tables
from tests.admin_api import client_token, new_client
from tests.forms import csrf_of
from tests.functional.conftest import bearer, body, browser_login, login
from tests.journeys import issued as issued_guarantees
from tests.journeys import post, post_version, reissue, requested_then_approved, verify
from tests.streams import event_record, record, run_events
from tests.webhook_receiver import receiver

JSON = {"Content-Type": "application/json"}
ALL = ["delivery.created", "guarantee.changed", "guarantee.cancelled", "guarantee.key_reissued", "guarantee.expiring"]


def _register(client, token, url, events=ALL):
    return client.http.post(
        "/api/orderer/webhooks", headers=bearer(token, **JSON), body=json.dumps({"url": url, "events": events})
    )


def _run(client) -> int:
    return body(client.http.post("/api/dev/webhooks/run"))["delivered"]


def _log(client, token, webhook_id):
    return body(client.http.get(f"/api/orderer/webhooks/{webhook_id}/deliveries", headers=bearer(token)))["items"]


@pytest.fixture
def clock(monkeypatch):
    """The sender's clock, moved on by hand (no sleeps)."""
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(webhooks_service, "_now", lambda: now["t"])
    return now


def test_registration_shows_the_secret_once_and_lists_without_it(client, tokens):
    resp = _register(client, tokens["kasama"], "https://contracts.example.jp/hook", ["guarantee.changed"])
    assert resp.status_code == 201, resp.body
    out = body(resp)
    assert out["secret"].startswith("whsec_") and len(out["secret"]) == len("whsec_") + 44
    assert resp.headers["Location"].endswith(f"/api/orderer/webhooks/{out['webhook_id']}")
    listed = body(client.http.get("/api/orderer/webhooks", headers=bearer(tokens["kasama"])))["items"]
    assert [h["webhook_id"] for h in listed] == [out["webhook_id"]] and "secret" not in listed[0]
    one = client.http.get(f"/api/orderer/webhooks/{out['webhook_id']}", headers=bearer(tokens["kasama"]))
    assert body(one)["events"] == ["guarantee.changed"] and "secret" not in body(one)
    assert out["secret"] not in json.dumps(tables.rows("webhooks"), default=str)  # sealed at rest
    other = client.http.get(f"/api/orderer/webhooks/{out['webhook_id']}", headers=bearer(tokens["mito"]))
    assert other.status_code == 404
    assert (
        client.http.delete(f"/api/orderer/webhooks/{out['webhook_id']}", headers=bearer(tokens["mito"])).status_code
        == 404
    )
    gone = client.http.delete(f"/api/orderer/webhooks/{out['webhook_id']}", headers=bearer(tokens["kasama"]))
    assert gone.status_code == 204 and tables.count("webhooks") == 0


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("https://10.0.0.8/hook", ALL, "url"),  # a private literal address
        ("https://[::1]/hook", ALL, "url"),
        ("https://169.254.169.254/latest", ALL, "url"),
        ("http://contracts.example.jp/hook", ALL, "url"),  # not https
        ("http://127.0.0.2:8080/hook", ALL, "url"),  # the loopback allowance is 127.0.0.1 only
        ("https://contracts.example.jp/hook", ["ping"], "events"),
        ("https://contracts.example.jp/hook", [], "events"),
    ],
)
def test_a_target_or_event_list_that_cannot_be_used_is_400_and_nothing_is_stored(client, tokens, url, events, field):
    resp = _register(client, tokens["kasama"], url, events)
    assert resp.status_code == 400 and [e["field"] for e in body(resp)["errors"]] == [field]
    assert tables.count("webhooks") == 0


def test_loopback_is_allowed_only_by_the_local_setting(client, tokens, monkeypatch):
    assert _register(client, tokens["kasama"], "http://127.0.0.1:9/hook").status_code == 201
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "0")
    assert _register(client, tokens["kasama"], "http://127.0.0.1:9/hook").status_code == 400
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("STAGE", "dev")  # never outside the local stage, whatever the variable says
    from chalicelib import settings

    assert settings.webhook_schedule().allow_loopback is False


def test_a_machine_client_registers_and_pings_with_a_valid_signature(client, tokens, admin, clock):
    token = client_token(client, *new_client(client, admin))
    with receiver() as hook:
        out = body(_register(client, token, hook.url, ["guarantee.changed"]))
        hook.secret = out["secret"]
        sent = client.http.post(f"/api/orderer/webhooks/{out['webhook_id']}/test", headers=bearer(token))
        assert sent.status_code == 202
        assert _run(client) == 1
    [ping] = hook.received
    assert hook.signed(ping) and ping["headers"]["webhook-id"] == body(sent)["event_id"]
    assert json.loads(ping["raw"]) | {"created_at": None} == {
        "id": body(sent)["event_id"],
        "type": "ping",
        "created_at": None,
        "data": {},
    }
    [logged] = _log(client, token, out["webhook_id"])
    assert (logged["state"], logged["attempts"], logged["last_status"]) == ("delivered", 1, 204)


def test_a_failing_receiver_gets_the_same_event_id_until_it_answers_2xx(client, tokens, clock):
    with receiver(500, 503) as hook:
        out = body(_register(client, tokens["kasama"], hook.url))
        hook.secret = out["secret"]
        client.http.post(f"/api/orderer/webhooks/{out['webhook_id']}/test", headers=bearer(tokens["kasama"]))
        assert _run(client) == 0
        [logged] = _log(client, tokens["kasama"], out["webhook_id"])
        assert (logged["state"], logged["attempts"], logged["last_status"]) == ("pending", 1, 500)
        assert _run(client) == 0  # not due yet: the backoff holds it
        clock["t"] += 5  # the local stage's schedule (scale 0.001): 5 ms, 0.3 s, …
        assert _run(client) == 0
        clock["t"] += 1
        assert _run(client) == 1
    assert len(hook.received) == 3 and len({r["headers"]["webhook-id"] for r in hook.received}) == 1
    assert all(hook.signed(r) for r in hook.received)
    [logged] = _log(client, tokens["kasama"], out["webhook_id"])
    assert (logged["state"], logged["attempts"], logged["last_status"], logged["next_attempt_at"]) == (
        "delivered",
        3,
        204,
        None,
    )


def test_after_its_24_hours_an_event_is_failed_and_stays_listed(client, tokens, clock):
    out = body(_register(client, tokens["kasama"], "http://127.0.0.1:9/hook"))  # nothing listens there
    client.http.post(f"/api/orderer/webhooks/{out['webhook_id']}/test", headers=bearer(tokens["kasama"]))
    for _ in range(9):
        _run(client)
        clock["t"] += 40  # 24 h × 0.001 = 86.4 s
    [logged] = _log(client, tokens["kasama"], out["webhook_id"])
    assert (logged["state"], logged["last_error"], logged["next_attempt_at"]) == ("failed", "connection", None)
    assert 2 <= logged["attempts"] <= 8


def test_a_host_that_resolves_to_a_private_address_is_refused_at_send(client, tokens, clock, caplog):
    out = body(_register(client, tokens["kasama"], "https://localhost:9/hook"))  # a name: no look-up yet
    client.http.post(f"/api/orderer/webhooks/{out['webhook_id']}/test", headers=bearer(tokens["kasama"]))
    _run(client)
    [logged] = _log(client, tokens["kasama"], out["webhook_id"])
    assert (logged["state"], logged["last_error"], logged["attempts"]) == ("pending", "refused_target", 1)
    assert "refused_target" in caplog.text or logged["last_error"] == "refused_target"


def test_changes_cancellation_and_key_reissue_reach_the_orderer_that_verified_it(client, tokens, issued, clock):
    number, key = issued[0]["number"], issued[0]["auth_key"]
    with receiver() as hook:
        out = body(_register(client, tokens["kasama"], hook.url))
        hook.secret = out["secret"]
        stranger = body(_register(client, tokens["mito"], hook.url))
        verify(client, tokens, number, key)
        changed = post_version(
            client, tokens, number, {"kind": "correction", "changes": {"project_name": "訂正後"}, "reason": "誤記"}
        )
        assert changed.status_code == 201, changed.body
        v2 = {"number": number, "version": 2}
        for seq in (1, 2):  # a redelivered record queues nothing twice
            client.lambda_.invoke("certificate_stream", {"Records": [record(type("V", (), v2), seq)]})
        requested_then_approved(client, tokens, reissue(client, tokens, number, reason="紛失"))
        [row] = [i for i in tables.images("events") if i["kind"]["S"] == "key_reissued"]
        client.lambda_.invoke("event_stream", {"Records": [event_record(row, 3)]})
        requested_then_approved(client, tokens, post_version(client, tokens, number, {"kind": "cancellation"}))
        v3 = {"number": number, "version": 3}
        client.lambda_.invoke("certificate_stream", {"Records": [record(type("V", (), v3), 4)]})
        assert _run(client) == 3
    types = [b["type"] for b in hook.bodies()]
    assert sorted(types) == ["guarantee.cancelled", "guarantee.changed", "guarantee.key_reissued"] and all(
        hook.signed(r) for r in hook.received
    )
    changed_body = next(b for b in hook.bodies() if b["type"] == "guarantee.changed")
    assert changed_body["data"] | {"deadline": None} == {
        "number": number,
        "version": 2,
        "kind": issued[0]["kind"],
        "version_kind": "correction",
        "delivery_id": None,
        "deadline": None,
    }
    assert key not in json.dumps(hook.bodies()) and _log(client, tokens["mito"], stranger["webhook_id"]) == []


def test_delivery_created_reaches_the_orderer_and_a_department_hears_only_of_its_own_deliveries(client, tokens, clock):
    doboku = login(client, "kasama-doboku", "demo-pass-9")["token"]
    with receiver() as everything, receiver() as department:
        everything.secret = body(_register(client, tokens["kasama"], everything.url))["secret"]
        mine = body(_register(client, doboku, department.url))
        department.secret = mine["secret"]
        assert mine["department_id"] == "doboku"
        listed = body(client.http.get("/api/orderer/webhooks", headers=bearer(doboku)))["items"]
        assert [h["webhook_id"] for h in listed] == [mine["webhook_id"]]  # a bound user sees its department's
        delivered = {}
        for g in issued_guarantees(client, tokens):  # 前払金保証 → doboku, 契約保証 → keiyaku
            resp = post(client, tokens["contractor"], f"/api/guarantees/{g['number']}/deliveries", {})
            delivered[g["kind"]] = {**body(resp), "number": g["number"]}
        run_events(client)
        run_events(client)  # a redelivered record queues nothing twice
        contract = delivered["contract_guarantee"]["number"]
        assert (
            post_version(
                client, tokens, contract, {"kind": "correction", "changes": {"project_name": "訂正"}}
            ).status_code
            == 201
        )
        client.lambda_.invoke(
            "certificate_stream", {"Records": [record(type("V", (), {"number": contract, "version": 2}), 9)]}
        )
        _run(client)
    got = sorted((b["type"], b["data"]["number"]) for b in everything.bodies())
    assert got == sorted(
        [("delivery.created", d["number"]) for d in delivered.values()] + [("guarantee.changed", contract)]
    )
    [only] = department.bodies()
    advance = delivered["advance_payment"]
    assert (only["type"], only["data"]["delivery_id"], only["data"]["version_kind"]) == (
        "delivery.created",
        advance["delivery_id"],
        "new",
    )
    assert all(everything.signed(r) for r in everything.received) and department.signed(department.received[0])


def test_the_pages_show_the_secret_once_test_and_delete_only_after_confirmation(client):
    session, _ = browser_login(client, "dsure", "kasama", "demo-pass-4")
    cookie = {"Cookie": f"esurety_session={session}"}
    form = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
    page = client.http.get("/dsure/webhooks", headers=cookie)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    fields = urlencode([("csrf_token", csrf_of(page.body.decode())), ("url", "https://10.0.0.1/x")])
    refused = client.http.post("/dsure/webhooks", headers=form, body=fields)
    assert refused.status_code == 400 and "公開されていないアドレス" in refused.body.decode()
    fields = urlencode(
        [("csrf_token", csrf_of(page.body.decode())), ("url", "https://contracts.example.jp/hook")]
        + [("events", "guarantee.changed"), ("events", "delivery.created")]
    )
    made = client.http.post("/dsure/webhooks", headers=form, body=fields)
    secret = re.search(r'<code class="secret">(whsec_[^<]+)</code>', made.body.decode()).group(1)
    [hook] = tables.rows("webhooks")
    assert sorted(json.loads(hook.events)) == ["delivery.created", "guarantee.changed"]
    again = client.http.get("/dsure/webhooks", headers=cookie).body.decode()
    assert "contracts.example.jp" in again and secret not in again  # shown once
    one = f"/dsure/webhooks/{hook.webhook_id}"
    token = csrf_of(client.http.get(one, headers=cookie).body.decode())
    tested = client.http.post(f"{one}/test", headers=form, body=urlencode({"csrf_token": token}))
    assert tested.status_code == 303 and "テスト送信" in client.http.get(one, headers=cookie).body.decode()
    asked = client.http.post(f"{one}/delete", headers=form, body=urlencode({"csrf_token": token}))
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"{one}?confirm=delete")
    assert tables.count("webhooks") == 1
    confirm = client.http.get(f"{one}?confirm=delete", headers=cookie).body.decode()
    assert "この Webhook を削除しますか" in confirm
    done = client.http.post(f"{one}/delete", headers=form, body=urlencode({"csrf_token": token, "confirm": "yes"}))
    assert done.status_code == 303 and tables.count("webhooks") == 0


def test_disabling_the_orderer_stops_its_webhooks(client, tokens, admin, clock):
    with receiver() as hook:
        out = body(_register(client, tokens["kasama"], hook.url))
        client.http.post(f"/api/orderer/webhooks/{out['webhook_id']}/test", headers=bearer(tokens["kasama"]))
        disabled = client.http.post("/api/admin/organisations/08216/disable", headers=bearer(admin, **JSON), body="{}")
        assert disabled.status_code == 200, disabled.body
        assert _run(client) == 0
    assert hook.received == []
    assert [(r.state, r.webhook_id) for r in tables.rows("webhook_messages")] == [("failed", out["webhook_id"])]


def test_the_openapi_document_describes_every_event_and_its_signature_headers(client):
    spec = body(client.http.get("/api/openapi.json"))
    assert set(spec["webhooks"]) == {*ALL, "ping"}
    post_ = spec["webhooks"]["guarantee.changed"]["post"]
    assert {p["name"] for p in post_["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert post_["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookEvent"
    }
    assert (
        "refused_target"
        in spec["components"]["schemas"]["WebhookAttempt"]["properties"]["last_error"]["oneOf"][0]["enum"]
    )
