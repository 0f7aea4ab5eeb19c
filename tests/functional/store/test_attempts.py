"""store/attempts.py: a success gives back only its own reservation's slot."""

from __future__ import annotations

from chalicelib.services import verify
from chalicelib.store import attempts
from chalicelib.store.models import AttemptModel


def test_a_success_resets_only_when_no_failure_was_counted_after_it():
    pair = attempts.Counter("verify:t:1", verify.PAIR_POLICY, reset=True)
    first = attempts.reserve([pair]).ticket
    later = attempts.reserve([pair]).ticket  # a failure counted after the success's reservation
    assert first and later
    attempts.settle_success(first)
    assert int(AttemptModel.get("verify:t:1").failures) == 1  # only the success's own slot given back
    attempts.settle_success(attempts.reserve([pair]).ticket)
    assert int(AttemptModel.get("verify:t:1").failures) == 0
