"""Many attempts' counting in a few round trips (bulk verification), deciding exactly as
`attempts.reserve()` would have decided for the same attempts one after another.

`attempts.reserve()` counts and decides in one conditional write per attempt. A
bulk of 200 rows that way is 200 counting round trips. Here the counters of all
the rows are read once (BatchGetItem, consistent), the rows are decided in
memory in their order by the same rules (`Batch.reserve` / `Batch.success` are
`reserve()`, `_examine()`, `_restart()` and `success_writes()` on in-memory
rows), and the resulting states are written back in transactions of at most 100
items — each counter once per transaction, conditioned on the counter being
exactly as read (or as the previous transaction of this batch left it).

Concurrency: if anything else counted on one of these counters in between, that
transaction is refused and nothing of it is written; the caller decides the
rows from that transaction on again (`Refused.first_row`). So a burst of bulk
uploads is serialised by those conditions and never gets more attempts
evaluated than the one-by-one rules allow.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.store import tx
from chalicelib.store.attempts import CONTENTION_WAIT, RESERVE_ROUNDS, Counter, Reservation, Ticket, expiry
from chalicelib.store.models import AttemptModel

#: Items of one TransactWriteItems.
MAX_ITEMS = 100


@dataclass(frozen=True)
class State:
    """One counter row (`exists=False`: there is none yet)."""

    exists: bool = False
    failures: int = 0
    window_start: int | None = None
    last_at: int | None = None
    token: str | None = None


class Refused(Exception):
    """A counting transaction was refused: rows before `first_row` are counted, the rest are not."""

    def __init__(self, first_row: int):
        super().__init__(first_row)
        self.first_row = first_row


def read(keys: Iterable[str]) -> dict[str, State]:
    """Every counter's state, consistent (BatchGetItem, 100 keys a call)."""
    wanted = list(dict.fromkeys(keys))
    states = {k: State() for k in wanted}
    if not wanted:
        return states
    for row in AttemptModel.batch_get(wanted, consistent_read=True):
        states[row.key] = State(
            True,
            int(row.failures or 0),
            None if row.window_start is None else int(row.window_start),
            None if row.last_at is None else int(row.last_at),
            row.token,
        )
    return states


class Batch:
    """Attempts decided in memory, in order, against the states read; then written."""

    def __init__(self, states: dict[str, State], now: int):
        self.read = dict(states)
        self.states = dict(states)
        self.now = now
        self.policies: dict[str, Counter] = {}
        #: per row: the keys it changed (in the order rows were decided)
        self.touched: list[tuple[str, ...]] = []
        self.snapshots: list[dict[str, State]] = []

    # --- the rules of attempts.reserve(), in memory ---------------------------------

    def _open(self, c: Counter) -> bool:
        s = self.states[c.key]
        if not s.exists:
            return True
        current = s.window_start is not None and s.window_start > self.now - c.policy.window_seconds
        return s.failures < c.policy.limit and current

    def _wait(self, refused: Sequence[Counter]) -> int:
        """attempts._examine(): the longest lock among the refused, else restart the stale ones."""
        wait, stale = 0, []
        for c in refused:
            s = self.states[c.key]
            last_at = s.last_at or s.window_start or 0
            if s.failures >= c.policy.limit and last_at + c.policy.lock_seconds > self.now:
                wait = max(wait, last_at + c.policy.lock_seconds - self.now)
            elif s.failures >= c.policy.limit or (s.window_start or 0) <= self.now - c.policy.window_seconds:
                stale.append(c)
        if not wait:
            for c in stale:
                s = self.states[c.key]
                self.states[c.key] = replace(s, failures=0, window_start=self.now, last_at=self.now)
        return wait

    def reserve(self, counters: Sequence[Counter]) -> Reservation:
        """What `attempts.reserve(counters, now)` would answer here; the row is recorded either way."""
        if any(c.trusted for c in counters):
            raise ValueError("a batch decides counters without a trusted source only")
        for c in counters:
            self.policies[c.key] = c
        before = {c.key: self.states[c.key] for c in counters}
        for _ in range(RESERVE_ROUNDS):
            refused = [c for c in counters if not self._open(c)]
            if not refused:
                token = secrets.token_hex(8)
                for c in counters:
                    s = self.states[c.key]
                    start = s.window_start if s.window_start is not None else self.now
                    self.states[c.key] = State(True, s.failures + 1, start, self.now, token)
                self._record(before)
                return Reservation(Ticket(tuple(counters), token, self.now))
            wait = self._wait(refused)
            if wait:
                self._record(before)
                return Reservation(None, wait)
        self._record(before)
        return Reservation(None, CONTENTION_WAIT)

    def success(self, ticket: Ticket) -> None:
        """attempts.success_writes(strict=True) of the row just reserved: nothing came in between."""
        for c in ticket.counters:
            s = self.states[c.key]
            failures = 0 if c.reset else s.failures - 1
            self.states[c.key] = replace(s, failures=failures, last_at=ticket.now)
        self.touched[-1] = tuple(dict.fromkeys(self.touched[-1] + tuple(c.key for c in ticket.counters)))
        self.snapshots[-1] = dict(self.states)

    def _record(self, before: dict[str, State]) -> None:
        self.touched.append(tuple(k for k, s in before.items() if self.states[k] != s))
        self.snapshots.append(dict(self.states))

    # --- writing the outcome --------------------------------------------------------

    def commit(self, first_row: int = 0) -> None:
        """Write the states rows `first_row`… left, a transaction per ≤ 100 counters.

        Raises Refused at the first refused transaction (the rows before it stay counted)."""
        written = {k: self.read[k] for k in self.read}
        start = first_row
        while start < len(self.touched):
            end, keys = start, dict[str, None]()
            while end < len(self.touched) and len(keys | dict.fromkeys(self.touched[end])) <= MAX_ITEMS:
                keys |= dict.fromkeys(self.touched[end])
                end += 1
            if end == start:  # one row over the limit: cannot happen with ≤ 2 counters a row
                raise ValueError("a row touches more counters than one transaction holds")
            after = self.snapshots[end - 1]
            writes = tx.Writes()
            for key in keys:
                writes.update(
                    AttemptModel(key),
                    actions=_set(after[key], self.now, self.policies[key]),
                    condition=_as(written[key]),
                )
            try:
                tx.commit(writes, what="attempts")
            except tx.ConditionFailed:
                raise Refused(start) from None
            written.update({k: after[k] for k in keys})
            start = end


def _set(s: State, now: int, c: Counter) -> list[Any]:
    actions = [AttemptModel.failures.set(s.failures), AttemptModel.expires_at.set(expiry(now, c.policy))]
    for attr, value in ((AttemptModel.window_start, s.window_start), (AttemptModel.last_at, s.last_at)):
        actions.append(attr.set(value) if value is not None else attr.remove())
    actions.append(AttemptModel.token.set(s.token) if s.token is not None else AttemptModel.token.remove())
    return actions


def _as(s: State) -> Any:
    """The condition that the row is exactly `s` (no row at all when it did not exist)."""
    if not s.exists:
        return AttemptModel.key.does_not_exist()
    condition = AttemptModel.failures == s.failures
    for attr, value in (
        (AttemptModel.window_start, s.window_start),
        (AttemptModel.last_at, s.last_at),
        (AttemptModel.token, s.token),
    ):
        condition &= (attr == value) if value is not None else attr.does_not_exist()
    return condition
