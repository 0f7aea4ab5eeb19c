"""Which failures of the cloud services mean "unavailable, try again" (API.md: a 503).

The store's callers must not import botocore, so the question is answered here,
on the exception as raised anywhere below a handler: a botocore transport error
(connect or read timeout, a dropped connection), an AWS answer that says the
service is overloaded or failing, or the AttributeError PynamoDB's own error
path raises while handling such a timeout (NOTES.md) — each found anywhere in
the exception's chain (`__cause__`, `__context__`, PynamoDB's `cause`).
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

#: AWS error codes that mean the service, not the request, is at fault.
UNAVAILABLE_CODES = frozenset(
    {
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
    }
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 16:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo.extend(x for x in (e.__cause__, e.__context__, getattr(e, "cause", None)) if isinstance(x, BaseException))
    return seen


def unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) is a timeout or an outage of an AWS service."""
    for e in _chain(exc):
        if isinstance(e, BotoCoreError):
            return True
        if isinstance(e, ClientError):
            code = (e.response or {}).get("Error", {}).get("Code")
            status = (e.response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in UNAVAILABLE_CODES or int(status) >= 500:
                return True
    return False


# --- fault injection (local stage, tests only) -------------------------------------------

#: `ESURETY_FAULTS="commit:issue=0.3,release=0.5"`: the chance that each named point fails.
#: Read only when the stage is `local`; every other stage ignores the variable entirely.
FAULTS_ENV = "ESURETY_FAULTS"


def _rates() -> dict[str, float]:
    import os

    from chalicelib import settings

    raw = os.environ.get(FAULTS_ENV, "")
    if not raw or not settings.current().is_local:
        return {}
    rates = {}
    for part in raw.split(","):
        name, _, rate = part.partition("=")
        try:
            rates[name.strip()] = float(rate or 1)
        except ValueError:
            continue
    return rates


def inject(point: str) -> None:
    """Fail here, as a timeout would, when the local test harness asks for it."""
    rates = _rates()
    if not rates:
        return
    import random

    rate = rates.get(point, rates.get(point.split(":")[0] + ":*", 0.0))
    if rate and random.random() < rate:
        from botocore.exceptions import ReadTimeoutError

        raise ReadTimeoutError(endpoint_url=f"injected:{point}")
