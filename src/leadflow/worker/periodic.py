"""Housekeeping jobs run with every round of the worker but work only now and then."""

from __future__ import annotations

import time


class Every:
    """Says when a job that must not run every round is due: at most once per ``seconds``,
    the first round of a process included (so a restart prunes at once)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._next = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.seconds
        return True
