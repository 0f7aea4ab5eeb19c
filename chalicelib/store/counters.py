"""Atomic serials: one DynamoDB UpdateItem ADD per number, read back from the same call.

DynamoDB applies ADD atomically and returns the new value (ReturnValues
ALL_NEW), so two concurrent callers never get the same serial. A serial taken
by an issuance that later fails is simply not used: gaps are allowed,
duplicates never. The condition stops the sequence at its maximum instead of
wrapping into numbers that no longer fit the format.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.store.models import CounterModel


class SerialExhausted(RuntimeError):
    pass


def next_value(name: str, maximum: int) -> int:
    counter = CounterModel(name)
    try:
        counter.update(
            actions=[CounterModel.value.add(1)],
            condition=CounterModel.value.does_not_exist() | (CounterModel.value < maximum),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise SerialExhausted(name) from exc
        raise
    return int(counter.value)
