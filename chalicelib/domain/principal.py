"""Who is calling: the result of authentication, handed to every service, and the session row it
is read from (`SessionRecord`, which the session check reads on every signed-in request)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("contractor", "staff", "orderer", "admin")


@dataclass(frozen=True)
class Principal:
    login: str
    role: str
    org_id: str
    org_name: str
    session_id: str
    via_cookie: bool = False
    #: Set when a machine client (OAuth client credentials) calls: it acts as its orderer,
    #: only on D-Sure's API routes, and its `login` is `client:<id>` (lockout per client).
    client_id: str | None = None
    #: The user's own address (from the session): notices to it need no look-up of the organisation's.
    email: str | None = None


@dataclass(frozen=True)
class SessionRecord:
    """A live session; `expires_at` is epoch seconds (the row's TTL)."""

    session_id: str
    login: str
    role: str
    org_id: str
    org_name: str
    created_at: str
    expires_at: int
    #: The user's own address at login: a notice to it needs no directory look-up.
    email: str | None = None
