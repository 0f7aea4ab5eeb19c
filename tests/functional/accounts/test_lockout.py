"""Issue 15, item 1: login lockouts that hold under parallel bursts (services/auth.py).

The bursts run the service in threads against the moto server; counts are exact, nothing here is
timed. The verification's lockouts: tests/functional/dsure/test_lockout.py."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import TooManyAttempts, Unauthenticated
from chalicelib.services import auth
from chalicelib.store import attempts
from tests.bursts import burst

BURST = 30


def test_a_login_burst_gets_five_passwords_checked_and_then_the_right_one_is_refused():
    results = burst(lambda pw: auth.login("mito", pw, source="198.51.100.7"), [(f"bad-{i}",) for i in range(BURST)])
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
