"""The embedded worker's rounds: a wake runs only the jobs it is for, at once; every job still
runs on the poll, and a job with more due goes round again without a wake."""

from __future__ import annotations

from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.worker.context import WorkerContext
from leadflow.worker.runner import Worker
from tests.support.waiting import eventually


class Counting:
    """A job that counts its rounds; ``more`` rounds report more due work."""

    def __init__(self, on_wake: bool = False, more: int = 0) -> None:
        self.on_wake = on_wake
        self.rounds = 0
        self.more = more
        self.more_due = False

    async def __call__(self, context: WorkerContext) -> int:
        self.rounds += 1
        self.more_due = self.rounds <= self.more
        return 1 if self.more_due else 0


async def rounds_reach(job: Counting, rounds: int) -> None:
    """Wait for ``job`` to have run ``rounds`` rounds. The jobs here never suspend, so a round
    and any that follow it straight away run in one go: once the count is seen, the worker is
    waiting (for a wake or its poll), and any round too many would already be counted."""
    await eventually(lambda: job.rounds >= rounds, seconds=10, why=f"{rounds} rounds")


async def test_a_wake_runs_the_woken_job_at_once_and_not_the_others(app: FastAPI) -> None:
    context: WorkerContext = state_of(app).worker_context
    context.settings.worker_poll_seconds = 60.0
    other, woken = Counting(), Counting(on_wake=True)
    worker = Worker(context, [other, woken])
    worker.start()
    try:
        await rounds_reach(woken, 1)
        assert (other.rounds, woken.rounds) == (1, 1)  # the first round runs every job
        worker.wake()
        await rounds_reach(woken, 2)
        worker.wake()
        await rounds_reach(woken, 3)
        assert (other.rounds, woken.rounds) == (1, 3)
    finally:
        await worker.stop()


async def test_every_job_runs_again_on_the_poll(app: FastAPI) -> None:
    context: WorkerContext = state_of(app).worker_context
    context.settings.worker_poll_seconds = 0.2
    other, woken = Counting(), Counting(on_wake=True)
    worker = Worker(context, [other, woken])
    worker.start()
    try:
        # No wake: only the poll can run them a second time.
        await rounds_reach(other, 2)
        await rounds_reach(woken, 2)
    finally:
        await worker.stop()


async def test_a_woken_job_with_more_due_goes_round_again_without_a_wake(app: FastAPI) -> None:
    context: WorkerContext = state_of(app).worker_context
    context.settings.worker_poll_seconds = 60.0
    other, woken = Counting(), Counting(on_wake=True)
    worker = Worker(context, [other, woken])
    worker.start()
    try:
        await rounds_reach(woken, 1)
        woken.more = woken.rounds + 3
        worker.wake()
        await rounds_reach(woken, 1 + 4)
        assert woken.rounds == 1 + 4  # three rounds with more due, then one that drained
        assert other.rounds == 1
    finally:
        await worker.stop()
