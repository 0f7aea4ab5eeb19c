"""申込詳細 for its contractor: the application and the guarantees issued from it.

Written against `services.applications.get` (which scopes to the caller's
organisation: another's application is NotFound) and one Query of the
guarantees repository.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.principal import Principal
from chalicelib.services import applications, bounces
from chalicelib.services.guarantees import list_item
from chalicelib.store import guarantees as guarantees_store


def detail(principal: Principal, application_id: str) -> dict[str, Any]:
    """{"application": …, "guarantees": [list items…]} (guarantees empty unless issued)."""
    # Flagged like the list: a メールアドレス SES reported as bouncing says so where it is shown.
    application = bounces.flag_applications([applications.get(principal, application_id)])[0]
    guarantees: list[dict[str, Any]] = []
    if application["status"] == "issued" and application.get("decided_at"):
        rows = guarantees_store.issued_for(principal.org_id, application["id"], application["decided_at"])
        guarantees = [list_item(g) for g in rows]
    return {"application": application, "guarantees": guarantees}
