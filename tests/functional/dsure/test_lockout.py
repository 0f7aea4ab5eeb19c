"""Issue 15, item 1: verification lockouts that hold under parallel bursts, and a verification in ≤ 3 round trips.

The bursts run the services in threads against the moto server (the local
stack's e2e bursts are in tests/e2e/test_bursts_e2e.py); counts are exact,
nothing here is timed.
"""

from __future__ import annotations

import json

from chalicelib.domain.principal import Principal
from chalicelib.services import auth, verify
from tests import dynamodb_calls, journeys, tables
from tests.bursts import burst
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


def test_a_burst_of_wrong_keys_gets_five_evaluated_and_the_right_key_after_it_is_refused():
    make_guarantee(NUMBER, auth_key=KEY)
    results = burst(verify.attempt, [(KASAMA, NUMBER, f"WRONG{i:07d}") for i in range(BURST)])
    assert not [r for r in results if isinstance(r, Exception)], results
    kinds = [r.result for r in results]
    assert kinds.count("not_found") == attempts_limit() and kinds.count("locked") == BURST - attempts_limit()
    assert verify.attempt(KASAMA, NUMBER, KEY).result == "locked"
    logged = [r.result for r in tables.rows("access_log", number=NUMBER)]
    assert logged.count("not_found") == 5


def attempts_limit() -> int:
    return verify.PAIR_POLICY.limit


def test_a_mixed_burst_never_raises_and_keeps_the_count_bounded():
    make_guarantee(NUMBER, auth_key=KEY)
    args = [(KASAMA, NUMBER, f"WRONG{i:07d}") for i in range(BURST - 1)] + [(KASAMA, NUMBER, KEY)]
    results = burst(verify.attempt, args)
    assert not [r for r in results if isinstance(r, Exception)], results
    kinds = [r.result for r in results]
    # a success resets the pair, so at most limit-1 failures before it and limit after it
    assert kinds.count("not_found") <= 2 * attempts_limit() - 1
    row = tables.row("attempts", key=f"verify:kasama:{NUMBER}")
    assert 0 <= int(row.failures) <= attempts_limit()


def test_remaining_tries_count_down_for_hints():
    assert verify.remaining_tries(KASAMA, NUMBER) == 5
    verify.attempt(KASAMA, NUMBER, "WRONGKEY2345")
    verify.attempt(KASAMA, NUMBER, "WRONGKEY2345")
    assert verify.remaining_tries(KASAMA, NUMBER) == 3
    assert auth.remaining_tries("mito", "198.51.100.1") == 5
