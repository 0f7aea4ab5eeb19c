"""For handlers: is this failure an outage of a store (a 503), or a bug (left to surface)?

Handlers may not look at the cloud's exceptions themselves (the seam is
store/), so they ask here; the answer is store/faults.py's.
"""

from __future__ import annotations

from chalicelib.store.faults import unavailable

__all__ = ["unavailable"]
