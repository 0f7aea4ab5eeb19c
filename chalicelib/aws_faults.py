"""Which failures of the cloud services mean "unavailable, try again" (API.md: a 503).

The question is asked on the exception as raised anywhere below a handler: a
botocore transport error (connect or read timeout, a dropped connection), an AWS
answer that says the service is overloaded or failing, or the AttributeError
PynamoDB's own error path raises while handling such a timeout (NOTES.md) — each
found anywhere in the exception's chain (`__cause__`, `__context__`, PynamoDB's
`cause`).

It sits beside aws_config.py, in the base layer: handlers (handlers/errors.py)
ask it directly, and no layer above the store must import botocore for it.
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
