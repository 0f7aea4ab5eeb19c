"""TOTP codes for the demo staff and admin users, for every test that logs them in.

A code is accepted once per user (API.md), so each login here uses a later time
step than the one before for that user: the current step, then the next one
(the server accepts ±1 step), then it waits for the clock. `forget()` is called
whenever the server's state is reset (functional tests reset moto per test).
"""

from __future__ import annotations

import threading
import time

from chalicelib.domain import totp
from devstack.seed import DEMO_TOTP_SECRETS

_LOCK = threading.Lock()
_LAST: dict[str, int] = {}


def forget() -> None:
    with _LOCK:
        _LAST.clear()


def code_for(login: str, secret: str | None = None) -> str:
    """A code the server has not seen for `login`, from its seeded (or given) secret."""
    secret = secret or DEMO_TOTP_SECRETS[login]
    with _LOCK:
        while True:
            now = totp.step_of(time.time())
            step = max(now, _LAST.get(login, now - 1) + 1)
            if step <= now + totp.WINDOW:
                _LAST[login] = step
                return totp.code_at(secret, step * totp.INTERVAL)
            time.sleep((now + 1) * totp.INTERVAL - time.time() + 0.05)


def needs_code(login: str) -> bool:
    return login in DEMO_TOTP_SECRETS
