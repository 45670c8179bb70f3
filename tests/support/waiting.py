"""Waiting for something a test can see, instead of sleeping for a guessed time."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], object], *, seconds: float = 30.0, every: float = 0.05, why: str = ""
) -> None:
    """Return as soon as ``condition()`` is true; fail after ``seconds`` saying ``why``.

    A fixed sleep is either too short on a loaded CI machine or wasted time on a quiet one;
    polling a condition the user could see is neither."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true after {seconds} s: {why or condition}")
        time.sleep(every)
