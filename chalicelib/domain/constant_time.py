"""Constant-time equality for secrets that arrive as text from a client.

`hmac.compare_digest` compares two `str` only when both are ASCII and raises
TypeError otherwise: one non-ASCII character in a paging cursor's signature, a
CSRF field or a TOTP code ("١٢٣٤٥٦".isdigit() is True) was a 500 (found by
fuzzing GET /api/reservations). Comparing the UTF-8 bytes answers False instead,
in time that does not depend on where the two differ; `surrogatepass` so even a
lone surrogate is bytes rather than an exception.
"""

from __future__ import annotations

import hmac


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def equal(candidate: str, expected: str) -> bool:
    """Whether a client's `candidate` is exactly `expected`, whatever characters it holds."""
    return hmac.compare_digest(_bytes(candidate), _bytes(expected))
