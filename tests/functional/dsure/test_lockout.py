"""Issue 15, item 1: lockouts that hold under parallel bursts, and a verification in ≤ 3 round trips.

The bursts run the services in threads against the moto server (the local
stack's e2e bursts are in tests/e2e/test_bursts_e2e.py); counts are exact,
nothing here is timed.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.errors import TooManyAttempts, Unauthenticated
from chalicelib.domain.principal import Principal
from chalicelib.services import auth, verify
from chalicelib.store import attempts
from chalicelib.store.models import AccessLogModel, AttemptModel
from tests import dynamodb_calls, journeys
from tests.factories import make_guarantee
from tests.functional.conftest import bearer, body

JSON = {"Content-Type": "application/json"}
KEY = "Z28YUE4J3Bux"
NUMBER = "30026-000301M"
KASAMA = Principal("kasama", "orderer", "08216", "笠間市長", "sid-test")
BURST = 30


def _verify(client, token, number, key):
    return client.http.post(
        "/api/verify", headers=bearer(token, **JSON), body=json.dumps({"number": number, "auth_key": key})
    )


# --- round trips --------------------------------------------------------------------


def test_right_and_wrong_key_verifications_cost_at_most_three_calls_beyond_the_session(client, tokens):
    g = journeys.issued(client, tokens, journeys.submit_paid(client, tokens))[0]
    _verify(client, tokens["kasama"], g["number"], g["auth_key"])  # the inbox row exists from here on
    for key, status in ((g["auth_key"], 200), ("WRONGKEY2345", 404)):
        with dynamodb_calls.recorded() as calls:
            resp = _verify(client, tokens["kasama"], g["number"], key)
        assert resp.status_code == status, resp.body
        assert calls[0] == "GetItem"  # the session
        assert len(calls) - 1 <= 3, calls
    assert body(_verify(client, tokens["kasama"], g["number"], g["auth_key"]))["status"] == "valid"


def test_a_locked_verification_is_the_counting_write_and_its_log_row_with_no_read(client, tokens):
    # The refused counting write returns the rows it was refused on (ReturnValuesOnConditionCheckFailure),
    # so telling "locked, wait N s" from "window over" needs no read: under a flood every attempt is 2 calls.
    g = journeys.issued(client, tokens, journeys.submit_paid(client, tokens))[0]
    for i in range(5):
        assert _verify(client, tokens["kasama"], g["number"], f"WRONG{i:07d}").status_code == 404
    with dynamodb_calls.recorded() as calls:
        resp = _verify(client, tokens["kasama"], g["number"], g["auth_key"])
    assert resp.status_code == 429 and 0 < int(resp.headers["Retry-After"]) <= 15 * 60, resp.body
    assert calls == ["GetItem", "TransactWriteItems", "TransactWriteItems"], calls  # session, counting, log row + count


# --- bursts ---------------------------------------------------------------------------


def _burst(fn, args_list):
    with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
        return list(pool.map(lambda a: _outcome(fn, *a), args_list))


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # a burst records what each call came to
        return exc


def test_a_burst_of_wrong_keys_gets_five_evaluated_and_the_right_key_after_it_is_refused():
    make_guarantee(NUMBER, auth_key=KEY)
    results = _burst(verify.attempt, [(KASAMA, NUMBER, f"WRONG{i:07d}") for i in range(BURST)])
    assert not [r for r in results if isinstance(r, Exception)], results
    kinds = [r.result for r in results]
    assert kinds.count("not_found") == attempts_limit() and kinds.count("locked") == BURST - attempts_limit()
    assert verify.attempt(KASAMA, NUMBER, KEY).result == "locked"
    logged = [r.result for r in AccessLogModel.query(NUMBER)]
    assert logged.count("not_found") == 5


def attempts_limit() -> int:
    return verify.PAIR_POLICY.limit


def test_a_mixed_burst_never_raises_and_keeps_the_count_bounded():
    make_guarantee(NUMBER, auth_key=KEY)
    args = [(KASAMA, NUMBER, f"WRONG{i:07d}") for i in range(BURST - 1)] + [(KASAMA, NUMBER, KEY)]
    results = _burst(verify.attempt, args)
    assert not [r for r in results if isinstance(r, Exception)], results
    kinds = [r.result for r in results]
    # a success resets the pair, so at most limit-1 failures before it and limit after it
    assert kinds.count("not_found") <= 2 * attempts_limit() - 1
    row = AttemptModel.get(f"verify:kasama:{NUMBER}")
    assert 0 <= int(row.failures) <= attempts_limit()


def test_a_login_burst_gets_five_passwords_checked_and_then_the_right_one_is_refused():
    results = _burst(lambda pw: auth.login("mito", pw, source="198.51.100.7"), [(f"bad-{i}",) for i in range(BURST)])
    assert all(isinstance(r, (Unauthenticated, TooManyAttempts)) for r in results), results
    checked = [r for r in results if isinstance(r, Unauthenticated)]
    assert len(checked) <= auth.LOGIN_POLICY.limit
    with pytest.raises(TooManyAttempts):
        auth.login("mito", "demo-pass-5", source="198.51.100.7")


def test_another_source_still_logs_in_while_one_source_is_locked_out():
    for i in range(auth.LOGIN_POLICY.limit):
        with pytest.raises((Unauthenticated, TooManyAttempts)):
            auth.login("mito", f"bad-{i}", source="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        auth.login("mito", "demo-pass-5", source="203.0.113.9")
    assert auth.login("mito", "demo-pass-5", source="192.0.2.1").principal.login == "mito"


def test_the_account_soft_lock_keeps_sources_that_logged_in_before():
    auth.login("mito", "demo-pass-5", source="192.0.2.1")  # a known source
    counters = auth.login_counters("mito", "192.0.2.200")
    account = counters[2]
    for _ in range(auth.ACCOUNT_POLICY.limit):  # failures from many places fill the account counter
        assert attempts.reserve([account]).ticket is not None
    with pytest.raises(TooManyAttempts):
        auth.login("mito", "demo-pass-5", source="192.0.2.200")  # an unknown source waits
    assert auth.login("mito", "demo-pass-5", source="192.0.2.1").principal.login == "mito"


def test_a_success_resets_only_when_no_failure_was_counted_after_it():
    pair = attempts.Counter("verify:t:1", verify.PAIR_POLICY, reset=True)
    first = attempts.reserve([pair]).ticket
    later = attempts.reserve([pair]).ticket  # a failure counted after the success's reservation
    assert first and later
    attempts.settle_success(first)
    assert int(AttemptModel.get("verify:t:1").failures) == 1  # only the success's own slot given back
    attempts.settle_success(attempts.reserve([pair]).ticket)
    assert int(AttemptModel.get("verify:t:1").failures) == 0


def test_remaining_tries_count_down_for_hints():
    assert verify.remaining_tries(KASAMA, NUMBER) == 5
    verify.attempt(KASAMA, NUMBER, "WRONGKEY2345")
    verify.attempt(KASAMA, NUMBER, "WRONGKEY2345")
    assert verify.remaining_tries(KASAMA, NUMBER) == 3
    assert auth.remaining_tries("mito", "198.51.100.1") == 5
