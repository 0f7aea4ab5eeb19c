"""Who is calling: the result of authentication, handed to every service."""

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
