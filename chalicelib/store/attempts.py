"""Failure counters in DynamoDB: every lockout decision is one conditional write.

A check-then-act counter ("read the count, evaluate, then count the failure")
lets a burst of parallel guesses all pass the check before any of them is
counted (issue 15: 9–19 of 30 parallel wrong keys evaluated against a limit
of 5). Here an attempt first *reserves* an evaluation slot in every counter
that governs it, in ONE write that both counts and decides:

    ADD failures 1, SET last_at, token …
    IF the row is new OR (failures < limit AND the window is current [OR the source is trusted])

made before the password or key is looked at. A reserved slot is a failure
unless the caller later proves otherwise: a success resets the counters it
names with a condition on its own reservation token (so a success can never
wipe a failure that was counted after it), or just releases its own slot when
another attempt came in between. When the write is refused, the rows it was
refused on (returned with the refusal: ReturnValuesOnConditionCheckFailure) tell
"locked" (a Retry-After) from "the window ran out" (restarted with a write
conditioned on the exact state read, then reserved again) — so a locked attempt
costs that one write and no read. Nothing
loops unboundedly and contention is answered as a short lock, never an
exception.

Several counters (pair + user, or login + source) are reserved in one
TransactWriteItems, so a verification or a login costs one counting round trip
whatever it is governed by.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import tx
from chalicelib.store.models import AttemptModel

#: How many times a refused reservation is re-examined (a restart raced another one).
RESERVE_ROUNDS = 3
#: The wait answered when those rounds are spent on contention rather than a lock.
CONTENTION_WAIT = 1


@dataclass(frozen=True)
class Policy:
    limit: int  # failures that trigger the lock
    window_seconds: int  # failures older than the window's start are forgotten
    lock_seconds: int  # how long the lock lasts after the failure that filled it


@dataclass(frozen=True)
class Counter:
    """One counter an attempt is governed by.

    `reset`: a success sets it back to 0 (the pair of a user and a number);
    otherwise a success only gives back its own slot (a user's or a source's
    total). `trusted`: a value (e.g. a hashed source address) that, once
    recorded by a success on this counter, lets attempts through even while the
    counter is full — the soft lock of a login that outsiders hammer.
    """

    key: str
    policy: Policy
    reset: bool = False
    trusted: str | None = None


@dataclass(frozen=True)
class Ticket:
    """The slots one attempt holds: settle them with `success_writes()` (or leave them: a failure)."""

    counters: tuple[Counter, ...]
    token: str
    now: int


@dataclass(frozen=True)
class Reservation:
    """Either a ticket (go ahead and evaluate) or how long to wait (locked)."""

    ticket: Ticket | None
    retry_after: int = 0


def expiry(now: int, policy: Policy) -> datetime:
    return datetime.fromtimestamp(now + policy.window_seconds + policy.lock_seconds, UTC)


def _open(c: Counter, now: int) -> Any:
    """The condition under which one more attempt may be evaluated."""
    current = (AttemptModel.failures < c.policy.limit) & (AttemptModel.window_start > now - c.policy.window_seconds)
    condition = AttemptModel.key.does_not_exist() | current
    if c.trusted:
        condition = condition | AttemptModel.trusted.contains(c.trusted)
    return condition


def _count(c: Counter, now: int, token: str) -> list[Any]:
    return [
        AttemptModel.failures.add(1),
        AttemptModel.window_start.set(AttemptModel.window_start | now),
        AttemptModel.last_at.set(now),
        AttemptModel.token.set(token),
        AttemptModel.expires_at.set(expiry(now, c.policy)),
    ]


def reserve(counters: Sequence[Counter], now: float | None = None) -> Reservation:
    """Count one attempt in every counter, or say how long the caller is locked out.

    One TransactWriteItems, locked or not (the refusal carries the rows it was refused
    on); a restart more when a window or a lock has run out.
    """
    now_i = int(time.time() if now is None else now)
    for _ in range(RESERVE_ROUNDS):
        token = secrets.token_hex(8)
        writes = tx.Writes()
        for c in counters:
            writes.update(
                AttemptModel(c.key), actions=_count(c, now_i, token), condition=_open(c, now_i), return_old=True
            )
        try:
            tx.commit(writes, what="attempts")
            return Reservation(Ticket(tuple(counters), token, now_i))
        except tx.ConditionFailed as refused:
            wait = _examine(counters, now_i, _refused_rows(counters, refused))
        if wait:
            return Reservation(None, wait)
    return Reservation(None, CONTENTION_WAIT)


def _refused_rows(counters: Sequence[Counter], refused: tx.ConditionFailed) -> dict[str, AttemptModel] | None:
    """The rows the refusal carries (DynamoDB returns each refused item as it was), or None when
    a refused item came without one. Only refused counters matter: one whose condition held is
    neither locked nor out of its window."""
    if not refused.failed or set(refused.old) != set(refused.failed):
        return None
    return {counters[i].key: AttemptModel.from_raw_data(refused.old[i]) for i in refused.failed}


def _examine(counters: Sequence[Counter], now: int, rows: dict[str, AttemptModel] | None = None) -> int:
    """After a refused reservation: the longest lock found, restarting counters that ran out.

    From the rows the refusal returned; one consistent read only if it returned none."""
    if rows is None:
        rows = {r.key: r for r in AttemptModel.batch_get([c.key for c in counters], consistent_read=True)}
    wait = 0
    stale: list[tuple[Counter, AttemptModel]] = []
    for c in counters:
        row = rows.get(c.key)
        if row is None:
            continue
        failures, last_at = int(row.failures or 0), int(row.last_at or row.window_start or 0)
        if failures >= c.policy.limit and last_at + c.policy.lock_seconds > now:
            if not (c.trusted and c.trusted in (row.trusted or set())):
                wait = max(wait, last_at + c.policy.lock_seconds - now)
        elif failures >= c.policy.limit or int(row.window_start or 0) <= now - c.policy.window_seconds:
            stale.append((c, row))
    if wait:
        return wait
    for c, row in stale:
        _restart(c, row, now)
    return 0


def _restart(c: Counter, row: AttemptModel, now: int) -> None:
    """Start a new window, only if the row is still exactly as read (a racing restart or count wins)."""
    same = (AttemptModel.failures == row.failures) & (
        AttemptModel.window_start == row.window_start
        if row.window_start is not None
        else AttemptModel.window_start.does_not_exist()
    )
    try:
        tx.retrying(
            lambda: AttemptModel(c.key).update(
                actions=[
                    AttemptModel.failures.set(0),
                    AttemptModel.window_start.set(now),
                    AttemptModel.last_at.set(now),
                    AttemptModel.expires_at.set(expiry(now, c.policy)),
                ],
                condition=same,
            ),
            what="attempts",
        )
    except tx.ConditionFailed:
        pass  # someone else restarted or counted first: the next round sees their state


def success_writes(ticket: Ticket, writes: tx.Writes, *, strict: bool = True) -> None:
    """Add what a success does to its counters to `writes` (the caller's one transaction).

    `strict`: a `reset` counter goes back to 0 on condition that no attempt was
    reserved after this one; if that transaction is refused for that reason,
    call again with `strict=False`, which only gives back this attempt's slot.
    Counters that are not `reset` always just give back the slot, and record
    the `trusted` value when there is one.
    """
    for c in ticket.counters:
        actions: list[Any] = [AttemptModel.last_at.set(ticket.now)]
        condition = None
        if c.reset and strict:
            actions.append(AttemptModel.failures.set(0))
            condition = AttemptModel.token == ticket.token
        else:
            actions.append(AttemptModel.failures.add(-1))
        if c.trusted:
            actions.append(AttemptModel.trusted.add({c.trusted}))
        writes.update(AttemptModel(c.key), actions=actions, condition=condition)


def settle_success(ticket: Ticket) -> None:
    """A success with nothing else to write: its counter updates as their own transaction."""
    writes = tx.Writes()
    success_writes(ticket, writes)
    try:
        tx.commit(writes, what="attempts")
    except tx.ConditionFailed:
        writes = tx.Writes()
        success_writes(ticket, writes, strict=False)
        tx.commit(writes, what="attempts")


def remaining(key: str, policy: Policy, now: float | None = None) -> int:
    """How many more failures `key` may have before it locks (for hints such as 「あとN回」)."""
    now_i = int(time.time() if now is None else now)
    try:
        row = AttemptModel.get(key, consistent_read=True)
    except DoesNotExist:
        return policy.limit
    if int(row.window_start or 0) <= now_i - policy.window_seconds:
        return policy.limit
    failures = int(row.failures or 0)
    if failures >= policy.limit:
        last_at = int(row.last_at or row.window_start or 0)
        return 0 if last_at + policy.lock_seconds > now_i else policy.limit
    return policy.limit - failures


def retry_after(key: str, policy: Policy | None = None, now: float | None = None) -> int:
    """Seconds until `key` may try again (0 when it is not locked). A read, never a decision."""
    now_i = int(time.time() if now is None else now)
    try:
        row = AttemptModel.get(key, consistent_read=True)
    except DoesNotExist:
        return 0
    if policy is None:
        return max(0, int(row.locked_until or 0) - now_i)
    last_at = int(row.last_at or row.window_start or 0)
    if int(row.failures or 0) >= policy.limit and last_at + policy.lock_seconds > now_i:
        return last_at + policy.lock_seconds - now_i
    return 0
