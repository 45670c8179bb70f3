"""The background job runner: claims due work, commits its decision, then acts.

In `leadflow serve` it runs inside the API process (embedded); `leadflow worker` runs it alone.
Each job claims a batch of its own due work and returns how much it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from leadflow.worker.context import WorkerContext

log = logging.getLogger(__name__)

Job = Callable[[WorkerContext], Awaitable[int]]

SETTLE_SECONDS = 15.0
"""How long a stop waits for work a job still has in flight (deliveries) to be recorded."""


class EmbeddedWorker:
    """Runs each registered job in turn, sleeping only when a whole round found nothing to do."""

    def __init__(self, context: WorkerContext, jobs: list[Job] | None = None) -> None:
        self.context = context
        self.jobs: list[Job] = jobs or []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="leadflow-worker")

    async def stop(self) -> None:
        self._stopping.set()
        self._woken.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._settle()

    async def _settle(self) -> None:
        """Let a job that acts in the background (a delivery in flight) record what it sent:
        otherwise an orderly stop would leave rows that the next worker's sweep can only mark
        as interrupted. Past ``SETTLE_SECONDS`` it gives up, as a killed worker would."""
        for job in self.jobs:
            settle = getattr(job, "settle", None)
            if settle is None:
                continue
            try:
                await asyncio.wait_for(settle(), SETTLE_SECONDS)
            except TimeoutError:
                log.warning("job %s still had work in flight at stop", job)

    def wake(self) -> None:
        """Start the next round now rather than after the poll interval: a request has just
        committed work (a submission) that someone is waiting on. A wake during a round makes
        the worker go round once more instead of sleeping."""
        self._woken.set()

    async def run_once(self) -> int:
        done = 0
        for job in self.jobs:
            try:
                done += await job(self.context)
            except Exception:
                log.exception("job %s failed; it will be retried", getattr(job, "__name__", job))
        return done

    async def run(self) -> None:
        while not self._stopping.is_set():
            self._woken.clear()
            if await self.run_once() == 0 and not self._woken.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._woken.wait(), self.context.settings.worker_poll_seconds
                    )
