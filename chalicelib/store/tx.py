"""Writes that must hold together, and the one answer to "did a condition fail?".

- `Writes` + `commit()`: the one way to write several items atomically (one
  TransactWriteItems). The items are recorded first and replayed onto a fresh
  PynamoDB TransactWrite per attempt, so a retried commit sends exactly the
  same request.
- `condition_failed(exc)`: the one predicate for "DynamoDB refused the write
  because a condition did not hold", for single-item writes
  (ConditionalCheckFailedException) and for transactions (a
  ConditionalCheckFailed cancellation reason). Repositories turn it into
  `ConditionFailed`, and decide there what it means for the caller.
- Retries. Real DynamoDB cancels a transaction that overlaps another one on the
  same item (cancellation reason `TransactionConflict`; moto never does), a
  single-item write on an item inside a running transaction fails with
  `TransactionConflictException`, and throttling comes back inside a
  cancellation (`ThrottlingError`, `ProvisionedThroughputExceeded`) where
  botocore's own retry mode does not look. All of those are retried here with
  full-jitter exponential backoff, a bounded number of times; a condition
  failure never is (it is an answer, not an accident). When the attempts run
  out the caller gets `Contention`, a 409 that asks the person to try again —
  never a 500.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

from chalicelib import logs
from chalicelib.domain.errors import Conflict, FieldError
from chalicelib.store import faults
from chalicelib.store.connection import connection

T = TypeVar("T")

MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 0.025
MAX_DELAY_SECONDS = 0.8

#: Cancellation reasons of a transaction that say "try again", not "no".
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
#: Error codes of a whole request that say the same (left over after botocore's own retries).
RETRYABLE_CODES = frozenset(
    {
        "TransactionConflictException",
        "TransactionInProgressException",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    }
)
CONDITION_CODE = "ConditionalCheckFailedException"
CONDITION_REASON = "ConditionalCheckFailed"


class ConditionFailed(Exception):
    """A write's condition did not hold: the data is not in the state the writer expected.

    From `commit()`: `failed` are the positions (in the order the items were added to
    `Writes`) whose condition failed, and `old` the item each of those had when refused,
    for items added with `return_old=True` (DynamoDB's ReturnValuesOnConditionCheckFailure,
    so the caller need not read again what it was refused on)."""

    def __init__(self, what: str = "write", failed: frozenset[int] = frozenset(), old: dict[int, Any] | None = None):
        super().__init__(what)
        self.failed = failed
        self.old = old or {}


class Contention(Conflict):
    """Still conflicting or throttled after every retry: a 409 the person can simply retry."""

    def __init__(self) -> None:
        super().__init__([FieldError("", "同時に他の処理が行われました。もう一度お試しください。")])


def _error_code(exc: BaseException) -> str | None:
    if isinstance(exc, PynamoDBException):
        return exc.cause_response_code
    response = getattr(exc, "response", None)
    return (response or {}).get("Error", {}).get("Code") if isinstance(response, dict) else None


def cancellation_reasons(exc: BaseException) -> list[str | None]:
    """The per-item codes of a cancelled transaction ([] for anything else).

    Read defensively: PynamoDB's own accessor raises AttributeError when the
    error has no botocore cause (e.g. a read timeout)."""
    cause = getattr(exc, "cause", None)
    reasons = getattr(cause, "cancellation_reasons", None) or []
    return [getattr(r, "code", None) for r in reasons]


def condition_failed(exc: BaseException) -> bool:
    """The one predicate: was the write refused because one of its conditions failed?"""
    return _error_code(exc) == CONDITION_CODE or CONDITION_REASON in cancellation_reasons(exc)


def failed_items(exc: ConditionFailed) -> set[int]:
    """The positions (in the order added to `Writes`) of the items of a refused `commit()` whose
    condition failed (empty when DynamoDB gave no reasons)."""
    return set(exc.failed)


def retryable(exc: BaseException) -> bool:
    """A conflict or throttling that a later identical attempt may get through."""
    if condition_failed(exc):
        return False
    if _error_code(exc) in RETRYABLE_CODES:
        return True
    return any(code in RETRYABLE_REASONS for code in cancellation_reasons(exc))


def backoff(attempt: int) -> float:
    """Full jitter: a random wait up to an exponentially growing cap (AWS's advice)."""
    return random.uniform(0, min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt))


def retrying(operation: Callable[[], T], *, what: str = "write") -> T:
    """Run one DynamoDB call, retrying conflicts and throttling; a condition failure is
    raised as ConditionFailed, anything else as it came."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return operation()
        except PynamoDBException as exc:
            if condition_failed(exc):
                raise ConditionFailed(what) from exc
            if not retryable(exc):
                raise
            logs.warning("dynamodb_retry", what=what, attempt=attempt + 1, code=_error_code(exc))
            if attempt + 1 < MAX_ATTEMPTS:
                time.sleep(backoff(attempt))
    raise Contention()


@dataclass
class Writes:
    """The items of one atomic write, recorded so every attempt sends the same request."""

    _ops: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def put(self, model: Any, condition: Any = None) -> Writes:
        """Put a whole item (a VersionAttribute adds its own lock condition)."""
        self._ops.append(("save", (model,), {"condition": condition}))
        return self

    def update(self, model: Any, actions: list[Any], condition: Any = None, *, return_old: bool = False) -> Writes:
        """Update an item; `return_old`: if its condition fails, the refusal carries the item as it was."""
        extra = {"return_values": "ALL_OLD"} if return_old else {}
        self._ops.append(("update", (model,), {"actions": actions, "condition": condition, **extra}))
        return self

    def check(self, model_cls: Any, hash_key: Any, range_key: Any = None, *, condition: Any) -> Writes:
        """Write nothing to this item, but only commit if `condition` holds for it."""
        self._ops.append(("condition_check", (model_cls, hash_key), {"range_key": range_key, "condition": condition}))
        return self

    def delete(self, model: Any, condition: Any = None) -> Writes:
        self._ops.append(("delete", (model,), {"condition": condition}))
        return self

    def extend(self, other: Writes | None) -> Writes:
        """Add another repository's writes (e.g. a reservation marked used) to this transaction."""
        if other is not None:
            self._ops.extend(other._ops)
        return self

    def __len__(self) -> int:
        return len(self._ops)

    def _replay(self, tx: TransactWrite) -> None:
        for name, args, kwargs in self._ops:
            getattr(tx, name)(*args, **kwargs)

    def _refusal(self, exc: ConditionFailed) -> ConditionFailed:
        """`exc` with its cancellation reasons mapped back to the order the items were added.

        PynamoDB sends a transaction's items grouped by kind (condition checks, deletes,
        puts, updates), and DynamoDB's reasons follow the request, not this list."""
        sent = sorted(range(len(self._ops)), key=lambda i: _SEND_ORDER[self._ops[i][0]])
        reasons = getattr(getattr(exc.__cause__, "cause", None), "cancellation_reasons", None) or []
        failed, old = set(), {}
        for position, reason in zip(sent, reasons, strict=False):
            if getattr(reason, "code", None) == CONDITION_REASON:
                failed.add(position)
                if getattr(reason, "raw_item", None):
                    old[position] = reason.raw_item
        return ConditionFailed(str(exc), frozenset(failed), old)


#: The order PynamoDB's TransactWrite puts its items in the request (connection/base.py).
_SEND_ORDER = {"condition_check": 0, "delete": 1, "save": 2, "update": 3}


def commit(writes: Writes, *, what: str = "transaction") -> None:
    """Write every item of `writes` or none (one TransactWriteItems), retried on conflict.

    Raises ConditionFailed when any item's condition failed (nothing was written),
    Contention when conflicts outlast the retries.
    """
    if not writes:
        return
    # One token for every attempt of this commit: DynamoDB answers a repeat of a committed
    # transaction (botocore's own retry after a lost reply, or ours) as a success for 10 minutes.
    token = secrets.token_hex(16)

    def attempt() -> None:
        with TransactWrite(connection=connection(), client_request_token=token) as tx:
            writes._replay(tx)
        faults.inject(f"commit:{what}")  # local-stage tests only: a reply lost after the commit

    try:
        retrying(attempt, what=what)
    except ConditionFailed as exc:
        raise writes._refusal(exc) from exc.__cause__
