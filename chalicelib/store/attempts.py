"""Failure counters in DynamoDB, shared by login throttling and verification lockout.

Counting is an atomic ADD so concurrent failures are never lost; a window that
has run out is restarted with a conditional write, retried on a race.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib.store.models import AttemptModel
from chalicelib.store.tx import condition_failed


@dataclass(frozen=True)
class Policy:
    limit: int  # failures that trigger the lock
    window_seconds: int  # failures older than this are forgotten
    lock_seconds: int  # how long the lock lasts


def retry_after(key: str, now: float | None = None) -> int:
    """Seconds until `key` may try again; 0 when it is not locked."""
    now = time.time() if now is None else now
    try:
        item = AttemptModel.get(key, consistent_read=True)
    except DoesNotExist:
        return 0
    remaining = int(item.locked_until - now)
    return remaining if remaining > 0 else 0


def register_failure(key: str, policy: Policy, now: float | None = None) -> int:
    """Count one failure; returns the lock's remaining seconds (0 if not locked)."""
    now = int(time.time() if now is None else now)
    expires = datetime.fromtimestamp(now + policy.window_seconds + policy.lock_seconds, UTC)
    # A lock that has run out starts a fresh count: after serving its time, the
    # key gets `limit` new tries, not one.
    lock_over = (AttemptModel.locked_until > 0) & (AttemptModel.locked_until <= now)
    for _ in range(5):
        try:
            item = AttemptModel(key)
            item.update(
                actions=[AttemptModel.failures.add(1), AttemptModel.expires_at.set(expires)],
                condition=(AttemptModel.window_start > now - policy.window_seconds) & ~lock_over,
            )
            break
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
        try:
            AttemptModel(key, failures=1, window_start=now, locked_until=0, expires_at=expires).save(
                condition=AttemptModel.key.does_not_exist()
                | (AttemptModel.window_start <= now - policy.window_seconds)
                | lock_over
            )
            item = AttemptModel(key, failures=1)
            break
        except PutError as exc:
            if not condition_failed(exc):
                raise
    else:  # pragma: no cover - five lost races in a row
        raise RuntimeError("attempt counter contention")
    if item.failures >= policy.limit:
        locked_until = now + policy.lock_seconds
        AttemptModel(key).update(
            actions=[
                AttemptModel.locked_until.set(locked_until),
                AttemptModel.expires_at.set(datetime.fromtimestamp(locked_until + policy.window_seconds, UTC)),
            ]
        )
        return policy.lock_seconds
    return 0


def reset(key: str, now: float | None = None) -> None:
    """A success forgets the failures (but never lifts a lock: callers check it first)."""
    now = time.time() if now is None else now
    try:
        AttemptModel(key).delete(condition=AttemptModel.locked_until <= int(now))
    except DeleteError as exc:  # a live lock or an absent row both mean "nothing to do"
        if not condition_failed(exc):
            raise


def failure_count(key: str, policy: Policy, now: float | None = None) -> int:
    """Failures that still count toward `policy`'s lock (0 once the window or a lock has run out).

    Mirrors `register_failure`: an expired window or a served lock starts afresh.
    """
    now = time.time() if now is None else now
    try:
        item = AttemptModel.get(key, consistent_read=True)
    except DoesNotExist:
        return 0
    if item.window_start <= now - policy.window_seconds:
        return 0
    if 0 < item.locked_until <= now:
        return 0
    return int(item.failures)
