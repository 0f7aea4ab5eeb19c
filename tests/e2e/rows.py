"""Rows the factories (tests/factories.py) write, written into a local stack's own moto rather
than the test process's tables (Stack.writes_here)."""

from __future__ import annotations

from tests.factories import make_guarantee


def put_guarantee(stack, number: str, **kwargs) -> None:
    """The factory's guarantee and its version 1 (docs/CONTRACTS.md shapes), in the stack's moto."""
    with stack.writes_here():
        make_guarantee(number, **kwargs)
