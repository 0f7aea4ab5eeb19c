"""The orderer reference list (発注者), cached per container for a short time.

Orderers are a small table read on almost every submission, issuance and
変更. The whole list comes from one Query on the directory index (one fixed
partition, no Scan) and is kept for `TTL_SECONDS`, so most requests make no
DynamoDB call for it at all; an orderer added or changed is seen within a
minute on every container. `clear_cache()` forgets it at once: provisioning
calls it, so tests and the local stack that re-create and re-seed the tables
never read a list from before.
"""

from __future__ import annotations

import time

from chalicelib.domain.orderers import Orderer
from chalicelib.store import orderer_cache
from chalicelib.store.models import OrdererModel

TTL_SECONDS = 60.0
DIRECTORY = "orderer"
MAX_ID_LENGTH = 16


def _record(row: OrdererModel) -> Orderer:
    return Orderer(
        orderer_id=row.orderer_id,
        name=row.name,
        e_surety=bool(row.e_surety),
        advance_rate_construction=int(row.advance_rate_construction),
        advance_rate_design_survey=int(row.advance_rate_design_survey),
        intermediate_rate=int(row.intermediate_rate),
        total_advance_rate=int(row.total_advance_rate),
    )


def clear_cache() -> None:
    orderer_cache.clear()


def _directory() -> dict[str, Orderer]:
    now = time.monotonic()
    cached = orderer_cache.get(now)
    if cached is not None:
        return cached
    loaded = {row.orderer_id: _record(row) for row in OrdererModel.by_directory.query(DIRECTORY)}
    orderer_cache.keep(now + TTL_SECONDS, loaded)
    return loaded


def list_all() -> list[Orderer]:
    """Every orderer, in id order."""
    return [o for _id, o in sorted(_directory().items())]


def get(orderer_id: str) -> Orderer | None:
    """One orderer from the cached list, or None when there is no such orderer."""
    if not isinstance(orderer_id, str) or not orderer_id or len(orderer_id) > MAX_ID_LENGTH:
        return None
    return _directory().get(orderer_id)


def put(orderer: Orderer) -> None:
    """Create or replace an orderer (seeding and administration); this container sees it at once."""
    OrdererModel(
        orderer.orderer_id,
        name=orderer.name,
        e_surety=orderer.e_surety,
        advance_rate_construction=orderer.advance_rate_construction,
        advance_rate_design_survey=orderer.advance_rate_design_survey,
        intermediate_rate=orderer.intermediate_rate,
        total_advance_rate=orderer.total_advance_rate,
    ).save()  # OrdererModel.save forgets the cached list
