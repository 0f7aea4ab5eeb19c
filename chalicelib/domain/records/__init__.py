"""The stored aggregates as plain values: what `store/` repositories return and accept.

Services and handlers work with these frozen dataclasses, never with PynamoDB
models, so the cloud seam stays in `store/` (DESIGN.md §2) and a service can be
exercised against an in-memory repository. Field names follow docs/CONTRACTS.md.
A changed record is a new value (`dataclasses.replace`); the repository decides
how it is written.

Each record is defined in a private module of its aggregate (`_accounts`, `_organisations`,
`_applications`, `_guarantees`, `_deliveries`) and imported from here as always
(`from chalicelib.domain.records import Guarantee`): a module loads on the first use of one
of its names (PEP 562), so a request builds the records it uses only. A frozen dataclass
costs ~0.6 ms to build, and a cold container pays for every one it imports (issue 32): a
cold verification builds the five of guarantees and organisations, not all thirteen. The
two records `import app` needs live beside what reads them: a session row
(`principal.SessionRecord`, read by the session check) and the 発注者 (`orderers.Orderer`,
read by the rules tables the route declarations import).
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each record's module (a private module of this package).
_MODULE_OF = {
    "Account": "_accounts",
    "Organisation": "_organisations",
    "OneTimeToken": "_accounts",
    "MachineClient": "_accounts",
    "Application": "_applications",
    "Guarantee": "_guarantees",
    "CertificateVersion": "_guarantees",
    "AccessLogEntry": "_guarantees",
    "InboxRow": "_guarantees",
    "SealedDraft": "_applications",
    "ClaimRecord": "_applications",
    "Department": "_deliveries",
    "Delivery": "_deliveries",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    """A record, its module imported on first use and the name kept here from then on."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])
