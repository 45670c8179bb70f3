"""Waiting for something a test can see, instead of sleeping for a guessed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import NoReturn

Why = str | Callable[[], str]
"""What a wait that timed out says: a text, or a function making it then (a server's log as
it is at the failure, not as it was when the wait began)."""


def wait_until(
    condition: Callable[[], object], *, seconds: float = 30.0, every: float = 0.05, why: Why = ""
) -> None:
    """Return as soon as ``condition()`` is true; fail after ``seconds`` saying ``why``.

    A fixed sleep is either too short on a loaded CI machine or wasted time on a quiet one;
    polling a condition the user could see is neither."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            _fail(seconds, why, condition)
        time.sleep(every)


async def eventually(
    condition: Callable[[], object | Awaitable[object]],
    *,
    seconds: float = 30.0,
    every: float = 0.01,
    why: Why = "",
) -> None:
    """:func:`wait_until` for a test on the event loop: the loop keeps running (the app, the
    worker under test) while it waits. ``condition`` may be a coroutine function (a query)."""
    deadline = time.monotonic() + seconds
    while True:
        holds = condition()
        if isinstance(holds, Awaitable):
            holds = await holds
        if holds:
            return
        if time.monotonic() >= deadline:
            _fail(seconds, why, condition)
        await asyncio.sleep(every)


def _fail(seconds: float, why: Why, condition: object) -> NoReturn:
    said = why() if callable(why) else why
    raise AssertionError(f"not true after {seconds} s: {said or condition}")
