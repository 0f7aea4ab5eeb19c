"""認証キー: 12 characters from `secrets`, no look-alikes, compared in constant time.

The alphabet is ASCII letters and digits without 0 O o 1 l I (56 symbols), so a
key carries 12 × log2(56) ≈ 69.7 bits (DESIGN.md asks for ≥ 69). A key is a
secret: never log it, never mail it.
"""

from __future__ import annotations

import math
import secrets
import string

from chalicelib.domain import constant_time

LOOKALIKES = frozenset("0Oo1lI")
ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in LOOKALIKES)
LENGTH = 12
BITS = LENGTH * math.log2(len(ALPHABET))


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def matches(candidate: str | None, stored: str | None) -> bool:
    """Constant-time comparison; a missing key (paper guarantee) never matches."""
    if not candidate or not stored:
        return False
    return constant_time.equal(candidate, stored)
