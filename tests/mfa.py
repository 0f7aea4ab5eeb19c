"""TOTP codes for the demo staff and admin users, for every test that logs them in.

A code is accepted once per user (API.md), so each login here uses a later time
step than the one before for that user: the current step, then the next one
(the server accepts ±1 step). A third login within the same 30 s would have to
wait for the clock — up to 30 s of an idle worker, several times a run — so a
server whose state the test owns registers `on_exhausted`: it puts the user back
to "no code accepted" (what a fresh seed has), and the current step is good
again. Without one, it waits. What a server has
accepted is remembered per server: `forget()` clears the functional tests' in-process
stage (reset per test), never what a running local stack (`server=` its base URL)
has seen — one pytest worker runs both kinds of tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from chalicelib.domain import totp
from devstack.seed import DEMO_TOTP_SECRETS

_LOCK = threading.Lock()
IN_PROCESS = "in-process"
_LAST: dict[tuple[str, str], int] = {}
_REWIND: dict[str, Callable[[str], None]] = {}


def on_exhausted(server: str, forget_accepted: Callable[[str], None]) -> None:
    """How `server` is made to forget the TOTP steps a login has used (instead of waiting for a new one)."""
    with _LOCK:
        _REWIND[server] = forget_accepted


def forget(server: str = IN_PROCESS) -> None:
    """The server's state was reset: it has accepted no code yet."""
    with _LOCK:
        for key in [k for k in _LAST if k[0] == server]:
            del _LAST[key]


def code_for(login: str, secret: str | None = None, server: str = IN_PROCESS) -> str:
    """A code `server` has not seen for `login`, from its seeded (or given) secret."""
    secret = secret or DEMO_TOTP_SECRETS[login]
    key = (server, login)
    with _LOCK:
        while True:
            now = totp.step_of(time.time())
            step = max(now, _LAST.get(key, now - 1) + 1)
            if step <= now + totp.WINDOW:
                _LAST[key] = step
                return totp.code_at(secret, step * totp.INTERVAL)
            if server in _REWIND:
                _REWIND[server](login)
                _LAST[key] = now
                return totp.code_at(secret, now * totp.INTERVAL)
            time.sleep((now + 1) * totp.INTERVAL - time.time() + 0.05)


def needs_code(login: str) -> bool:
    return login in DEMO_TOTP_SECRETS
