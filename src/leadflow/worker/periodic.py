"""Housekeeping jobs run with every round of the worker but work only now and then."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from leadflow.worker.context import WorkerContext


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


class Housekeeping(ABC):
    """A worker job the runner calls every round, which works at most once per
    ``every_seconds`` and is free otherwise.

    It always reports 0 done: pruning is not work a round should hurry on for, and the runner
    sleeps when every job says 0."""

    __name__: ClassVar[str]
    every_seconds: ClassVar[float]

    def __init__(self, every_seconds: float | None = None) -> None:
        self.every = Every(self.every_seconds if every_seconds is None else every_seconds)

    async def __call__(self, context: WorkerContext) -> int:
        if self.every.due():
            await self.work(context)
        return 0

    @abstractmethod
    async def work(self, context: WorkerContext) -> None:
        """One pass, each transaction through ``context.committer``."""


class Backlogged(ABC):
    """A worker job that works at most once per ``every_seconds``, and every round while its
    last pass left a backlog, so that a long backlog is worked off round after round rather
    than in one pass that holds the round up.

    With ``hurry``, a backlog counts as work done, so the runner comes back at once instead of
    sleeping; without, it is worked a round at a time at the runner's own pace."""

    __name__: ClassVar[str]
    every_seconds: ClassVar[float]
    hurry: ClassVar[bool] = False

    def __init__(self, every_seconds: float | None = None) -> None:
        self.every = Every(self.every_seconds if every_seconds is None else every_seconds)
        self.backlog = False

    async def __call__(self, context: WorkerContext) -> int:
        if not (self.backlog or self.every.due()):
            return 0
        self.backlog = await self.work(context)
        return 1 if self.backlog and self.hurry else 0

    @abstractmethod
    async def work(self, context: WorkerContext) -> bool:
        """One pass; whether more may remain."""
