"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) through pyotp, as whole time steps.

Working in steps (not "is this code valid now") is what lets the service accept
a code once per user: it records the step last accepted and refuses that step
and every earlier one.
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.domain import constant_time

INTERVAL = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
ISSUER = "e-Surety"


def _pyotp() -> Any:
    import pyotp  # on first use only: keep it off the app's cold start

    return pyotp


def _totp(secret: str) -> Any:
    return _pyotp().TOTP(secret, digits=DIGITS, interval=INTERVAL)


def new_secret() -> str:
    return _pyotp().random_base32()  # 32 base32 characters: 160 bits, RFC 4226's recommendation


def step_of(at: float) -> int:
    return int(at // INTERVAL)


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The step whose code `code` is, within the window around `at`; None when none is."""
    code = (code or "").strip()
    if len(code) != DIGITS or not code.isdigit():
        return None
    at = time.time() if at is None else at
    totp = _totp(secret)
    now = step_of(at)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        # Compare every candidate (constant time each) so timing does not reveal which step matched.
        if constant_time.equal(code, totp.at(step * INTERVAL)):
            found = step
    return found


def code_at(secret: str, at: float) -> str:
    return _totp(secret).at(at)


def provisioning_uri(secret: str, login: str) -> str:
    return _totp(secret).provisioning_uri(name=login, issuer_name=ISSUER)
