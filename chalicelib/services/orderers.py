"""The orderer reference list (発注者) for pages and the JSON API (cached in store/orderers.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.orderers import Orderer
from chalicelib.store import orderers as store


def list_orderers(e_surety_only: bool = False) -> list[dict[str, object]]:
    return [
        {"id": o.orderer_id, "name": o.name, "e_surety": o.e_surety}
        for o in store.list_all()
        if o.e_surety or not e_surety_only
    ]


def get_orderer(orderer_id: Any) -> Orderer | None:
    """The orderer an application or reservation names, as its rules read it (None when unknown,
    or when the body's `orderer_id` is not even a string)."""
    return store.get(orderer_id)


def names() -> dict[str, str]:
    """Orderer id → name, for pages that show names next to ids."""
    return {o.orderer_id: o.name for o in store.list_all()}
