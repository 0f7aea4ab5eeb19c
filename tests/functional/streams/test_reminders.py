"""API.md "Reminders": the daily job mails 「保証期限が近づいています」 once per guarantee, 保証期限 and
threshold — claimed before SES is called and marked after, as the completion mail is — tells the
orderer holding an electronic guarantee (`guarantee.expiring`, `latest_event: expiring`), and a
変更 that moves the 保証期限 re-arms it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.services import notify, reminders
from chalicelib.store import guarantees
from tests.functional.conftest import bearer, body
from tests.journeys import post_version, verify
from tests.streams import mails
from tests.webhook_receiver import receiver

JSON = {"Content-Type": "application/json"}


def _daily(client, day: dt.date) -> int:
    resp = client.http.post("/api/dev/daily", headers=JSON, body=json.dumps({"date": day.isoformat()}))
    assert resp.status_code == 200, resp.body
    return body(resp)["reminders"]


def _reminders(client) -> list[dict]:
    return [m for m in mails(client) if m["subject"] == reminders.SUBJECT]


def _deadline(number: str) -> dt.date:
    return dt.date.fromisoformat(guarantees.get(number, consistent=True).deadline)


def test_two_runs_send_a_guarantee_30_days_from_its_deadline_exactly_one_mail(client, issued):
    number = issued[0]["number"]
    day = _deadline(number) - dt.timedelta(days=30)
    assert _daily(client, day - dt.timedelta(days=1)) == 0  # 31 days away: nothing yet
    assert _daily(client, day) == len(issued)  # each guarantee of the application is that far away
    assert _daily(client, day) == 0
    sent = [m for m in _reminders(client) if number in m["body"]]
    assert len(sent) == 1 and sent[0]["to"] == ["soumu@example.co.jp"] and "30 日以内" in sent[0]["body"]
    assert issued[0]["auth_key"] not in sent[0]["body"]
    assert _daily(client, day + dt.timedelta(days=10)) == 0  # still the 30-day one: owed once


def test_only_the_nearer_reminder_when_both_are_due_and_the_skipped_one_is_not_owed(client, issued):
    number = issued[0]["number"]
    near = _deadline(number) - dt.timedelta(days=5)
    assert _daily(client, near) == len(issued)
    [mail] = [m for m in _reminders(client) if number in m["body"]]
    assert "7 日以内" in mail["body"]
    assert _daily(client, near + dt.timedelta(days=1)) == 0


class Crash(BaseException):
    """The function dies (a timeout, the container gone): nothing after it runs, no claim is released."""


def test_a_run_that_dies_after_the_claim_is_sent_by_the_next_run_after_the_lease(client, issued, monkeypatch):
    number = issued[0]["number"]
    day = _deadline(number) - dt.timedelta(days=30)
    real_text = reminders._text

    def dies(*args):
        raise Crash()

    monkeypatch.setattr(reminders, "_text", dies)  # after the claim, before SES is called
    with pytest.raises(Crash):
        reminders.run(day)
    monkeypatch.setattr(reminders, "_text", real_text)
    assert reminders.run(day) == len(issued) - 1  # the claimed one waits for its lease
    assert not [m for m in _reminders(client) if number in m["body"]]
    later = notify._now() + notify.LEASE_SECONDS + 1
    monkeypatch.setattr(notify, "_now", lambda: later)
    assert reminders.run(day) == 1
    assert len([m for m in _reminders(client) if number in m["body"]]) == 1


def test_a_change_that_moves_the_deadline_re_arms_both_reminders(client, tokens, issued):
    number = issued[0]["number"]
    old = _deadline(number)
    assert _daily(client, old - dt.timedelta(days=30)) == len(issued)
    new = old + dt.timedelta(days=60)
    changed = post_version(client, tokens, number, {"kind": "change", "changes": {"period_end": new.isoformat()}})
    assert changed.status_code == 201, changed.body
    assert _deadline(number) == new
    assert _daily(client, new - dt.timedelta(days=30)) == 1
    assert len([m for m in _reminders(client) if number in m["body"]]) == 2


def test_the_orderer_holding_it_hears_guarantee_expiring_and_sees_latest_event_expiring(client, tokens, issued):
    number, key = issued[0]["number"], issued[0]["auth_key"]
    with receiver() as hook:
        out = body(
            client.http.post(
                "/api/orderer/webhooks",
                headers=bearer(tokens["kasama"], **JSON),
                body=json.dumps({"url": hook.url, "events": ["guarantee.expiring"]}),
            )
        )
        hook.secret = out["secret"]
        verify(client, tokens, number, key)
        day = _deadline(number) - dt.timedelta(days=7)
        _daily(client, day)
        _daily(client, day)
        client.http.post("/api/dev/webhooks/run")
    [event] = hook.bodies()
    assert event["type"] == "guarantee.expiring" and event["data"]["number"] == number and hook.signed(hook.received[0])
    items = body(client.http.get("/api/orderer/guarantees", headers=bearer(tokens["kasama"])))["items"]
    assert next(i for i in items if i["number"] == number)["latest_event"] == "expiring"


def test_the_scheduled_functions_as_lambda_calls_them_remind_users_and_send_the_event(client, tokens, monkeypatch):
    from chalicelib.domain import clock as clock_module
    from devstack.sweeper import scheduled_event
    from tests.factories import application_body, make_application
    from tests.journeys import issued, post

    app = make_application(form=application_body(delivery__notify=False))  # no address: the users are mailed
    g = issued(client, tokens, app.application_id)[0]
    day = _deadline(g["number"]) - dt.timedelta(days=30)
    with receiver() as hook:
        out = body(
            client.http.post(
                "/api/orderer/webhooks",
                headers=bearer(tokens["kasama"], **JSON),
                body=json.dumps({"url": hook.url, "events": ["guarantee.expiring"]}),
            )
        )
        hook.secret = out["secret"]
        assert post(client, tokens["contractor"], f"/api/guarantees/{g['number']}/deliveries", {}).status_code == 201
        monkeypatch.setattr(clock_module, "today", lambda: day)
        ran = client.lambda_.invoke("daily_reminders", scheduled_event()).payload
        assert ran["reminders"] >= 1
        sent = client.lambda_.invoke("webhook_sender", scheduled_event()).payload
        assert sent == {"delivered": 1}
    assert [b["type"] for b in hook.bodies()] == ["guarantee.expiring"] and hook.signed(hook.received[0])
    assert guarantees.get(g["number"]).details.get("email") is None  # so the contractor's active users were mailed
    assert len([m for m in _reminders(client) if g["number"] in m["body"]]) == 1
