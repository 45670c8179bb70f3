"""The background job runner: claims due work, commits its decision, then acts.

`leadflow worker` runs it, and `leadflow serve` starts one such process beside the API (see
``worker.process``). Each job claims a batch of its own due work and returns how much it did.
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


class Worker:
    """Runs each registered job in turn, sleeping only when a whole round found nothing to do;
    a wake runs the jobs it is for at once (see :meth:`run`)."""

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
        await self._close()

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

    async def _close(self) -> None:
        """Let a job that keeps resources between rounds (a delivery client's connections)
        release them."""
        for job in self.jobs:
            close = getattr(job, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    log.exception("job %s failed to close", job)

    def wake(self) -> None:
        """Start a round now rather than after the poll interval: a request has just committed
        work (a submission) that someone is waiting on. The round runs only the jobs a wake is
        for (``on_wake = True``); a wake during a round makes the worker go round once more
        instead of sleeping."""
        self._woken.set()

    async def run_once(self) -> int:
        """One round of every job, in order; how much they did."""
        done = 0
        for job in self.jobs:
            try:
                done += await job(self.context)
            except Exception:
                log.exception("job %s failed; it will be retried", getattr(job, "__name__", job))
        return done

    async def _round(self, jobs: list[Job]) -> tuple[int, bool]:
        """How much the jobs a wake is not for did, and whether those it is for may have more
        due now (``more_due`` when a job tells, else whether it did anything): a job that
        claimed less than a full batch has nothing more due until a wake says otherwise, which
        spares an empty claim after every burst."""
        others, again = 0, False
        for job in jobs:
            try:
                done = await job(self.context)
            except Exception:
                log.exception("job %s failed; it will be retried", getattr(job, "__name__", job))
                continue
            if getattr(job, "on_wake", False):
                again = again or bool(getattr(job, "more_due", done > 0))
            else:
                others += done
        return others, again

    async def run(self) -> None:
        """Full rounds back to back while the other jobs find work, else one per poll interval;
        between them, rounds of the woken jobs only, for as long as they find work or are
        woken. A submission's round thus neither waits behind the other jobs' claims (each its
        own transaction) nor pays for them, hundreds of times a second under load."""
        loop = asyncio.get_running_loop()
        poll = self.context.settings.worker_poll_seconds
        woken_jobs = [job for job in self.jobs if getattr(job, "on_wake", False)]
        full_due = loop.time()
        while not self._stopping.is_set():
            self._woken.clear()
            if loop.time() >= full_due:
                others, again = await self._round(self.jobs)
                full_due = loop.time() + (0.0 if others else poll)
            else:
                others, again = await self._round(woken_jobs)
            if others or again or self._woken.is_set():
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), max(0.0, full_due - loop.time()))
