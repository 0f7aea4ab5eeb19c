"""domain/webhooks.py: the registration check (no look-up), what counts as a public address, the
retry schedule and its 24-hour end, one event id per orderer and occurrence, and the Standard
Webhooks signature against the specification's example."""

from __future__ import annotations

import datetime as dt

import pytest
from standardwebhooks import Webhook as Signer

from chalicelib.domain import webhooks as rules


@pytest.mark.parametrize(
    ("url", "loopback", "ok"),
    [
        ("https://contracts.example.jp/hook", False, True),
        ("https://203.0.113.9/hook", False, False),  # documentation range: not public
        ("https://8.8.8.8/hook", False, True),
        ("https://[2606:4700::1]/hook", False, True),
        ("https://[::ffff:10.0.0.1]/hook", False, False),  # IPv4-mapped private
        ("https://100.64.0.1/", False, False),  # shared address space
        ("https://0.0.0.0/", False, False),
        ("https://224.0.0.1/", False, False),  # multicast
        ("https://user:pw@contracts.example.jp/", False, False),
        ("http://contracts.example.jp/hook", False, False),
        ("http://127.0.0.1:8080/hook", True, True),
        ("http://127.0.0.1:8080/hook", False, False),
        ("http://127.0.0.1/hook", True, False),  # the allowance names a port
        ("http://localhost:8080/hook", True, False),
        ("https://contracts.example.jp:0/", False, False),
        ("https://contracts.example.jp/" + "a" * 2100, False, False),
        ("", False, False),
        (None, False, False),
    ],
)
def test_registration_check_needs_no_look_up(url, loopback, ok):
    assert (rules.url_errors(url, loopback) == []) is ok


def test_event_types_are_a_non_empty_subset_without_ping():
    assert rules.event_types_errors(["guarantee.changed"]) == []
    assert [e.code for e in rules.event_types_errors([])] == ["required"]
    assert rules.event_types_errors(["ping"]) and rules.event_types_errors("guarantee.changed")


def test_retries_back_off_then_end_after_24_hours():
    start = 1_000.0
    dues = [rules.next_delay(n, start, start) for n in range(1, 7)]
    assert [d - start for d in dues] == [5, 305, 2105, 9305, 27305, 63305]
    assert rules.next_delay(7, start, start + 63305) == start + 86400  # one last try at 24 h
    assert rules.next_delay(8, start, start + 86400) is None
    assert rules.next_delay(2, start, start, scale=0.001) == pytest.approx(start + 0.305)


def test_one_event_id_per_orderer_and_occurrence():
    one = rules.event_id("08216", "guarantee.changed", "version#N#2")
    assert one == rules.event_id("08216", "guarantee.changed", "version#N#2")
    assert one != rules.event_id("08201", "guarantee.changed", "version#N#2")
    assert one.startswith("evt_")


def test_a_department_webhook_wants_only_its_departments_events_and_every_webhook_wants_ping():
    hook = rules.Webhook("wh", "08216", "https://x.example/", ("guarantee.changed",), "t", "u", "kasama-doboku")
    assert hook.wants("ping") and not hook.wants("guarantee.changed")
    assert hook.wants("guarantee.changed", frozenset({"kasama-doboku"}))
    assert not hook.wants("guarantee.cancelled", frozenset({"kasama-doboku"}))


def test_the_signature_matches_the_specifications_example():
    # standard-webhooks/standard-webhooks: the reference vector of the specification's libraries
    signer = Signer("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    at = dt.datetime.fromtimestamp(1614265330, dt.UTC)
    signed = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", at, '{"test": 2432232314}')
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
