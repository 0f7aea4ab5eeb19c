"""認証キー: length, alphabet, entropy, constant-time comparison."""

from __future__ import annotations

import math

from chalicelib.domain import auth_key, constant_time


def test_alphabet_excludes_lookalikes_and_gives_69_bits():
    assert not set("0Oo1lI") & set(auth_key.ALPHABET)
    assert len(auth_key.ALPHABET) == 56
    assert auth_key.BITS >= 69
    assert auth_key.LENGTH * math.log2(len(auth_key.ALPHABET)) >= 69


def test_generated_keys_are_12_chars_from_alphabet_and_distinct():
    keys = {auth_key.generate() for _ in range(2000)}
    assert len(keys) == 2000
    for k in keys:
        assert len(k) == 12 and set(k) <= set(auth_key.ALPHABET)
    # every symbol shows up: the draw covers the whole alphabet
    assert set("".join(keys)) == set(auth_key.ALPHABET)


def test_matches_uses_compare_digest(monkeypatch):
    calls = []
    import hmac

    real = hmac.compare_digest
    monkeypatch.setattr(constant_time.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert auth_key.matches("Z28YUE4J3Bux", "Z28YUE4J3Bux")
    assert not auth_key.matches("Z28YUE4J3Bu", "Z28YUE4J3Bux")
    assert calls


def test_missing_keys_never_match():
    assert not auth_key.matches(None, "Z28YUE4J3Bux")
    assert not auth_key.matches("", "")
    assert not auth_key.matches("Z28YUE4J3Bux", None)
