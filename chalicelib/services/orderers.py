"""The orderer reference list (発注者), read through its directory index."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.store.models import OrdererModel


def list_orderers(e_surety_only: bool = False) -> list[dict[str, object]]:
    items = []
    for o in OrdererModel.by_directory.query("orderer"):
        if e_surety_only and not o.e_surety:
            continue
        items.append({"id": o.orderer_id, "name": o.name, "e_surety": bool(o.e_surety)})
    return items


def get_orderer(orderer_id: str) -> OrdererModel | None:
    if not orderer_id or len(orderer_id) > 16:
        return None
    try:
        return OrdererModel.get(orderer_id)
    except DoesNotExist:
        return None
