"""A burst: one call per argument tuple, all at once in threads, each call's result or exception."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def burst(fn: Callable[..., Any], args_list: Sequence[tuple]) -> list[Any]:
    """What each call came to (its result, or the exception it raised), in the order of `args_list`."""
    with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
        return list(pool.map(lambda a: _outcome(fn, *a), args_list))


def _outcome(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # a burst records what each call came to
        return exc
