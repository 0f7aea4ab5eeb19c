"""One DynamoDB write transaction, retried when DynamoDB cancels it for a conflict.

`run(build)` calls `build(tx)` on a fresh PynamoDB TransactWrite each attempt, so
a retry re-reads nothing the caller did not re-read itself. A condition that
fails is the caller's answer (`ConditionFailed`, naming which items failed);
`TransactionConflict` (another transaction on the same item, which moto never
raises but DynamoDB does) is retried with jittered backoff.

(Issue 13 wrote this before issue 10's `store/tx.py` existed; at merge, callers
can move to that helper — the contract is the same.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import settings

ATTEMPTS = 4


class ConditionFailed(Exception):
    """A condition of the transaction failed; `failed[i]` is True for the i-th item that did."""

    def __init__(self, failed: list[bool]) -> None:
        super().__init__("transaction condition failed")
        self.failed = failed


def run(build: Callable[[TransactWrite], Any]) -> Any:
    for attempt in range(ATTEMPTS):
        tx = TransactWrite(connection=Connection(region=settings.current().region))
        try:
            with tx:
                result = build(tx)
            return result
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            codes = [r.code if r is not None else None for r in reasons]
            if "ConditionalCheckFailed" in codes:
                raise ConditionFailed([c == "ConditionalCheckFailed" for c in codes]) from None
            if "TransactionConflict" in codes and attempt < ATTEMPTS - 1:
                time.sleep(random.uniform(0.02, 0.1) * (2**attempt))  # noqa: S311 - jitter, not a secret
                continue
            raise
    raise RuntimeError("unreachable")  # pragma: no cover
