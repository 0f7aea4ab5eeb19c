"""Calling a library that runs its own event loop (pyHanko's sync API calls `asyncio.run`).

`asyncio.run` refuses to start inside a thread whose event loop is already running. Lambda never runs
one around our code, but a host process may: Playwright's sync API keeps a loop running in the thread
that drives the browser, so a PDF signed in that thread (a test worker that has run a browser test, a
tool that embeds us) would fail with RuntimeError. `outside_running_loop` runs such a call on a
short-lived thread of its own only then, and in the calling thread otherwise (no cost on Lambda).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def outside_running_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, on a thread of its own if this thread is running an event loop."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outside-loop") as pool:
        return pool.submit(fn, *args, **kwargs).result()
