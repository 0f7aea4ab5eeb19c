"""Answer moto server's "which backend serves this host?" once per host instead of once per request.

moto's `DomainDispatcherApplication.get_backend_for_host` lists moto's package directory (an
`isdir` for each of ~200 service folders) and then tries every service's URL patterns, for every
request, under a lock: ~2 ms a request on this machine, paid by every DynamoDB, S3 and SES call of
the local stack and the tests. The answer depends only on the host and on moto's installed files,
so it is remembered per host. Local and test infrastructure only; Lambda talks to AWS.
"""

from __future__ import annotations

import functools
from typing import Any

_patched = False


def remember_backend_per_host() -> None:
    """Idempotent: memoise the dispatcher's host → backend lookup (None answers included)."""
    global _patched
    if _patched:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    known: dict[str | None, Any] = {}

    @functools.wraps(original)
    def remembered(self: Any, host: str | None) -> Any:
        if host not in known:
            known[host] = original(self, host)
        return known[host]

    DomainDispatcherApplication.get_backend_for_host = remembered  # type: ignore[method-assign]
    _patched = True
