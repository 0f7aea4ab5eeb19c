"""A library call that starts its own event loop works inside a thread that already runs one."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib import event_loops


async def _answer() -> int:
    return 42


def _run_own_loop() -> tuple[int, str]:
    return asyncio.run(_answer()), threading.current_thread().name


def _in_a_fresh_thread(fn):
    """Each case starts from a thread of known state: a test worker's own thread may run a loop already
    (Playwright's sync API leaves one in a worker that has run a browser test)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="case") as pool:
        return pool.submit(fn).result()


def test_without_a_running_loop_the_call_stays_in_this_thread():
    answer, thread = _in_a_fresh_thread(lambda: event_loops.outside_running_loop(_run_own_loop))
    assert answer == 42 and thread.startswith("case")


def test_inside_a_running_loop_the_call_runs_on_a_thread_of_its_own():
    async def host() -> tuple[int, str]:  # as Playwright's sync API leaves the browser's thread
        return event_loops.outside_running_loop(_run_own_loop)

    answer, thread = _in_a_fresh_thread(lambda: asyncio.run(host()))
    assert answer == 42 and thread.startswith("outside-loop")
