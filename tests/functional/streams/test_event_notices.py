"""Issue 14 step 5: staff events (key reissue, rejection) → notices through the events stream,
exactly once per event, through the very function Lambda calls."""

from __future__ import annotations

import json

from chalicelib.store import events, guarantees
from tests import tables
from tests.factories import make_application
from tests.functional.conftest import bearer, body
from tests.journeys import reissue, requested_then_approved
from tests.streams import event_record, mails

JSON = {"Content-Type": "application/json"}


def test_key_reissue_mails_the_contractor_once_without_either_key(client, tokens, issued):
    number, old = issued[0]["number"], issued[0]["auth_key"]
    asked = reissue(client, tokens, number, reason="紛失")
    assert tables.images("events") == []  # nothing until the 決裁
    new = body(requested_then_approved(client, tokens, asked))["auth_key"]
    [row] = tables.images("events")
    stored = events.from_image(row)
    assert (
        stored.kind == "key_reissued"
        and stored.number == number
        and old not in json.dumps(row, ensure_ascii=False)
        and new not in json.dumps(row, ensure_ascii=False)
    )
    before = len(mails(client))
    for seq in (1, 2):  # a redelivery sends nothing twice
        out = client.lambda_.invoke("event_stream", {"Records": [event_record(row, seq)]}).payload
        assert out == {"batchItemFailures": []}
    sent = mails(client)[before:]
    assert (
        len(sent) == 1 and sent[0]["subject"] == "認証キー再発行のお知らせ" and sent[0]["to"] == ["soumu@example.co.jp"]
    )
    assert number in sent[0]["body"] and old not in sent[0]["body"] and new not in sent[0]["body"]


def test_rejection_mails_the_reason_when_mail_was_asked_for(client, tokens):
    app = make_application()
    resp = client.http.post(
        f"/api/staff/applications/{app.application_id}/reject",
        headers=bearer(tokens["staff"], **JSON),
        body=json.dumps({"reason": "工期の記載誤り"}),
    )
    assert resp.status_code == 200
    [row] = tables.images("events")
    stored = events.from_image(row)
    assert stored.kind == "application_rejected" and stored.email == "soumu@example.co.jp"
    before = len(mails(client))
    client.lambda_.invoke("event_stream", {"Records": [event_record(row, 3)]})
    [mail] = mails(client)[before:]
    assert mail["subject"] == "保証申込差戻しのお知らせ" and "工期の記載誤り" in mail["body"]


def _verify(client, token, number, key):
    return client.http.post(
        "/api/verify", headers=bearer(token, **JSON), body=json.dumps({"number": number, "auth_key": key})
    )


def _inbox_item(client, token, number):
    items = body(client.http.get("/api/orderer/guarantees", headers=bearer(token)))["items"]
    return next((i for i in items if i["number"] == number), None)


def test_a_key_reissue_flags_the_inbox_and_tells_the_orderer_holding_the_old_key(client, tokens, issued):
    from urllib.parse import urlencode

    from chalicelib.domain import labels

    number, old = issued[0]["number"], issued[0]["auth_key"]
    assert _verify(client, tokens["kasama"], number, old).status_code == 200
    item = _inbox_item(client, tokens["kasama"], number)
    assert (item["latest_event"], item["latest_version_kind"], item["seen"]) == ("new", "new", True)
    before = item["changed_at"]

    asked = reissue(client, tokens, number, reason="紛失")
    new = body(requested_then_approved(client, tokens, asked))["auth_key"]
    # No trigger needed: the inbox reads the reissue from the guarantee itself.
    item = _inbox_item(client, tokens["kasama"], number)
    assert (item["latest_event"], item["latest_version_kind"], item["seen"]) == ("key_reissued", "new", False)
    reissued_at = guarantees.get(number).key_reissued_at
    assert item["changed_at"] == max(before, reissued_at) and item["changed_at"] >= reissued_at  # 更新日時 moves
    page = client.http.get("/dsure/inbox", headers=bearer(tokens["kasama"])).body.decode()
    assert "認証キー再発行" in page and labels.KEY_REISSUED_HINT in page

    # D-Sure's result for the old key: the same 404 as any failure, plus what to do (this orderer
    # verified the guarantee before, so it learns nothing new by being told).
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    failed = client.http.post(
        "/dsure/verify", headers=bearer(tokens["kasama"], **form), body=urlencode({"number": number, "auth_key": old})
    )
    assert failed.status_code == 404 and labels.KEY_REISSUED_HINT in failed.body.decode()
    api = _verify(client, tokens["kasama"], number, old)
    assert api.status_code == 404 and "再発行" not in api.body.decode()  # the API's 404 is one and the same
    stranger = client.http.post(
        "/dsure/verify", headers=bearer(tokens["mito"], **form), body=urlencode({"number": number, "auth_key": old})
    )
    assert stranger.status_code == 404 and labels.KEY_REISSUED_HINT not in stranger.body.decode()

    assert _verify(client, tokens["kasama"], number, new).status_code == 200
    item = _inbox_item(client, tokens["kasama"], number)
    assert (item["latest_event"], item["seen"]) == ("key_reissued", True)  # seen once looked at again
    failed = client.http.post(
        "/dsure/verify", headers=bearer(tokens["kasama"], **form), body=urlencode({"number": number, "auth_key": old})
    )
    assert labels.KEY_REISSUED_HINT not in failed.body.decode()  # it has the new key now

    changed = client.http.post(
        f"/api/staff/guarantees/{number}/versions",
        headers=bearer(tokens["staff"], **JSON),
        body=json.dumps({"kind": "correction", "changes": {"project_name": "市道改良工事 (訂正)"}, "reason": "誤記"}),
    )
    assert changed.status_code == 201, changed.body
    item = _inbox_item(client, tokens["kasama"], number)
    assert (item["latest_event"], item["latest_version_kind"], item["seen"]) == ("correction", "correction", False)
