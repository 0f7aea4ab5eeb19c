"""The suite's cheap password hashing (PASSWORD_HASH_COST=cheapest) never reaches a deployed stage."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from chalicelib.services import auth

DEFAULTS = PasswordHasher()


def _params(stored: str) -> str:
    assert stored.startswith("$argon2id$v=19$"), stored
    return stored.split("$")[3]


def test_cheapest_on_the_local_stage_when_asked(monkeypatch):
    monkeypatch.setenv("STAGE", "local")
    monkeypatch.setenv("PASSWORD_HASH_COST", "cheapest")
    stored = auth.hash_password("demo-pass-1")
    assert _params(stored) == "m=8,t=1,p=1"
    assert auth._hasher().verify(stored, "demo-pass-1")
    with pytest.raises(VerificationError):
        auth._hasher().verify(stored, "demo-pass-2")


@pytest.mark.parametrize(("stage", "cost"), [("prod", "cheapest"), ("dev", "cheapest"), ("local", None)])
def test_library_defaults_everywhere_else(monkeypatch, stage, cost):
    monkeypatch.setenv("STAGE", stage)
    if cost is None:
        monkeypatch.delenv("PASSWORD_HASH_COST", raising=False)
    else:
        monkeypatch.setenv("PASSWORD_HASH_COST", cost)
    expected = f"m={DEFAULTS.memory_cost},t={DEFAULTS.time_cost},p={DEFAULTS.parallelism}"
    assert _params(auth.hash_password("demo-pass-1")) == expected
