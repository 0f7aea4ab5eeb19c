"""Who is calling: the result of authentication, handed to every service."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("contractor", "staff", "orderer")


@dataclass(frozen=True)
class Principal:
    login: str
    role: str
    org_id: str
    org_name: str
    session_id: str
    via_cookie: bool = False
