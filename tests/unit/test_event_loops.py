"""A library call that starts its own event loop works inside a thread that already runs one."""

from __future__ import annotations

import asyncio
import threading

from chalicelib import event_loops


async def _answer() -> int:
    return 42


def _run_own_loop() -> tuple[int, str]:
    return asyncio.run(_answer()), threading.current_thread().name


def test_without_a_running_loop_the_call_stays_in_this_thread():
    assert event_loops.outside_running_loop(_run_own_loop) == (42, threading.current_thread().name)


def test_inside_a_running_loop_the_call_runs_on_a_thread_of_its_own():
    async def host() -> tuple[int, str]:  # as Playwright's sync API leaves the browser's thread
        return event_loops.outside_running_loop(_run_own_loop)

    answer, thread = asyncio.run(host())
    assert answer == 42 and thread.startswith("outside-loop")
