"""Atomic serials: one DynamoDB UpdateItem ADD takes every number a caller needs.

DynamoDB applies ADD atomically and returns the new value (ReturnValues
ALL_NEW), so `take(name, n)` owns the n serials ending at that value and two
concurrent callers never share one. Issuing an application with two
guarantees is one counter update, not two. Serials taken by an issuance that
later fails are simply not used: gaps are allowed, duplicates never. The
condition stops the sequence at its maximum instead of wrapping into numbers
that no longer fit the format.
"""

from __future__ import annotations

from chalicelib.store import tx
from chalicelib.store.models import CounterModel


class SerialExhausted(RuntimeError):
    pass


def take(name: str, count: int, maximum: int) -> list[int]:
    """`count` fresh serials of the sequence `name`, ascending; SerialExhausted past `maximum`."""
    if count < 1:
        return []
    if count > maximum:
        raise SerialExhausted(name)
    counter = CounterModel(name)
    try:
        tx.retrying(
            lambda: counter.update(
                actions=[CounterModel.value.add(count)],
                condition=CounterModel.value.does_not_exist() | (CounterModel.value <= maximum - count),
            ),
            what="counter",
        )
    except tx.ConditionFailed:
        raise SerialExhausted(name) from None
    last = int(counter.value)
    return list(range(last - count + 1, last + 1))


def next_value(name: str, maximum: int) -> int:
    """One fresh serial (see `take`)."""
    return take(name, 1, maximum)[0]
