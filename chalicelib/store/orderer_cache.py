"""The per-container copy of the orderer list (store/orderers.py fills and reads it).

A room of its own so that writing an orderer (store/models.py `OrdererModel.save`)
can forget the list without importing the repository that reads the model.
"""

from __future__ import annotations

import threading

from chalicelib.domain.orderers import Orderer

_lock = threading.Lock()
#: (expiry on the monotonic clock, orderer id → Orderer), or None when nothing is kept.
_cache: tuple[float, dict[str, Orderer]] | None = None


def get(now: float) -> dict[str, Orderer] | None:
    """The list kept, while it has not expired at `now`."""
    cached = _cache
    if cached is not None and cached[0] > now:
        return cached[1]
    return None


def keep(expires_at: float, loaded: dict[str, Orderer]) -> None:
    global _cache
    with _lock:
        _cache = (expires_at, loaded)


def clear() -> None:
    global _cache
    with _lock:
        _cache = None
