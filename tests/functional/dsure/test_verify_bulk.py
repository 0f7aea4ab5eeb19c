"""Bulk verification in a few round trips, deciding every row as the same rows sent one by one would be.

The bulk path reads the rows' counters and guarantees in batches and decides in
memory (store/attempt_batches.py); these tests hold it to the one-by-one path
(`verify.attempt` / `verify.invalid_row`, the rules the burst tests prove) row
for row, counter for counter, and to its round-trip budget.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.principal import Principal
from chalicelib.services import verify, verify_bulk
from chalicelib.store import access_log
from tests import dynamodb_calls, tables
from tests.bursts import burst
from tests.factories import make_guarantee

KEY = "Z28YUE4J3Bux"
NUMBERS = [f"30026-0007{i:02d}M" for i in range(20)]
OTHER = "30026-000799M"  # 水戸市's guarantee: the right key still finds nothing for 笠間市
BULK = Principal("bulk-kasama", "orderer", "08216", "笠間市長", "sid-bulk")
ONE_BY_ONE = Principal("single-kasama", "orderer", "08216", "笠間市長", "sid-single")


@pytest.fixture
def guarantees():
    for i, number in enumerate(NUMBERS):
        extra = {"status": "cancelled"} if i == 7 else {"deadline": "2024-03-31"} if i == 8 else {}
        make_guarantee(number, auth_key=KEY, **extra)
    make_guarantee(OTHER, orderer_id="08201", orderer_name="水戸市長", auth_key=KEY)


def _lines() -> list[str]:
    """200 rows: successes, a pair locked, a pair reset by a success, unknown and malformed rows,
    another orderer's guarantee, a full-width number — until the user's 20th failure locks the rest."""
    right = [f"{n},{KEY}" for n in NUMBERS]
    lines = right[:]
    lines += [f"{NUMBERS[0]},WRONG{i:07d}" for i in range(5)] + [right[0]]  # pair locked: 5 failures
    lines += [f"{NUMBERS[1]},WRONGKEY2345"] * 3 + [right[1]] + [f"{NUMBERS[1]},WRONGKEY2345"] * 2  # reset: 5
    lines += ["30026-999991M," + KEY, "30026-999992M," + KEY, "30026-999991M,WRONGKEY2345"]  # unknown: 3
    lines += ["broken-line-without-key", f",{KEY}", f"{OTHER},{KEY}"]  # 3
    lines += [f"３００２６－０００７０３ｍ,{KEY}"] + right[2:] * 3  # all valid again (the user's slots come back)
    lines += [f"{NUMBERS[2]},WRONGKEY2345"] * 4  # the user's 20th failure
    lines += (right * 10)[: 200 - len(lines)]  # locked: the user is
    assert len(lines) == 200
    return lines


def _one_by_one(principal: Principal, lines: list[str]) -> list[str]:
    results = []
    for line in lines:
        number, _, key = line.partition(",")
        number, key = verify.normalise_number(number), verify.normalise_key(key)
        ok = number and key and line.count(",") == 1
        results.append(verify.attempt(principal, number, key).result if ok else verify.invalid_row(principal, number))
    return results


def _counter(principal: Principal, key: str) -> int | None:
    row = tables.row("attempts", key=key.replace("{login}", principal.login))
    return None if row is None else int(row.failures)


def test_200_rows_take_at_most_40_round_trips_and_come_to_what_200_single_attempts_do(guarantees):
    lines = _lines()
    singles = _one_by_one(ONE_BY_ONE, lines)
    with dynamodb_calls.recorded() as calls:
        items = verify_bulk.bulk(BULK, "\n".join(lines).encode())
    assert len(calls) <= 40, (len(calls), calls)
    assert [i["result"] for i in items] == singles
    assert singles.count("locked") >= 40 and {"valid", "cancelled", "expired", "not_found", "invalid"} <= set(singles)
    for key in ["verify-user:{login}"] + [f"verify:{{login}}:{n}" for n in [*NUMBERS[:3], "30026-999991M", OTHER]]:
        assert _counter(BULK, key) == _counter(ONE_BY_ONE, key), key
    for number in (NUMBERS[0], NUMBERS[1], "30026-999991M", NUMBERS[15]):
        rows = tables.rows("access_log", number=number)
        by_login = {p.login: sorted(r.result for r in rows if r.login == p.login) for p in (BULK, ONE_BY_ONE)}
        assert by_login[BULK.login] == by_login[ONE_BY_ONE.login], number
        failures = [r for r in by_login[BULK.login] if r not in verify.VALID_RESULTS]
        assert access_log.failed_attempts(number)["count"] == 2 * len(failures)
    assert tables.row("inbox", orderer_id="08216", number=NUMBERS[15]) is not None


def test_a_refused_counting_transaction_is_decided_again_and_then_row_by_row():
    make_guarantee(NUMBERS[1], auth_key=KEY)
    lines = [f"{NUMBERS[0]},WRONG{i:07d}" for i in range(6)] + [f"{NUMBERS[1]},{KEY}"]
    expected = ["not_found"] * 5 + ["locked", "valid"]
    for refusals in (1, 3):  # 1: read and decided again; 3: every round refused, then one by one
        principal = Principal(f"bulk-{refusals}", "orderer", "08216", "笠間市長", "sid")
        refused = dynamodb_calls.cancelled("ConditionalCheckFailed", "None")
        with dynamodb_calls.failing("TransactWriteItems", refused, times=refusals) as hit:
            items = verify_bulk.bulk(principal, "\n".join(lines).encode())
        assert len(hit) == refusals
        assert [i["result"] for i in items] == expected
        logged = [r.result for r in tables.rows("access_log", number=NUMBERS[0]) if r.login == principal.login]
        assert sorted(logged) == sorted(expected[:6])


def test_parallel_uploads_of_wrong_keys_get_five_evaluated_in_all():
    make_guarantee(NUMBERS[3], auth_key=KEY)
    upload = "\n".join(f"{NUMBERS[3]},WRONG{i:07d}" for i in range(8)).encode()
    results = burst(verify_bulk.bulk, [(BULK, upload)] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    kinds = [i["result"] for r in results for i in r]
    assert kinds.count("not_found") == verify.PAIR_POLICY.limit and kinds.count("locked") == 32 - 5
