"""The worker forgets make_call's redial locks and CPS windows once they are free, and
nothing of any other scope."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.calls.dialing.jobs import PruneDialingLocks
from leadflow.clock import FrozenClock
from leadflow.models import RateWindow, TimeLock
from tests.calls.dialing.conftest import add
from tests.factories import Factory


async def test_free_dialing_locks_and_windows_are_pruned_others_are_kept(
    app: FastAPI, factory: Factory, clock: FrozenClock
) -> None:
    now = clock.now()
    second = int(now.timestamp())
    for row in (
        TimeLock(scope="dial:1", key="+17193130001", taken_at=now - timedelta(seconds=31)),
        TimeLock(scope="dial:1", key="+17193130002", taken_at=now - timedelta(seconds=5)),
        TimeLock(scope="dedupe:1", key="x", taken_at=now - timedelta(days=3)),
        RateWindow(scope="cps:1", slot=second - 3600, count=4),
        RateWindow(scope="cps:1", slot=second, count=4),
        RateWindow(scope="sms_daily:1", slot=20_000, count=1),
    ):
        await add(factory, row)
    job = PruneDialingLocks()

    assert await job(state_of(app).worker_context) == 0

    async with factory.sessionmaker() as session:
        locks = {(r.scope, r.key) for r in await session.scalars(select(TimeLock))}
        windows = {(r.scope, r.slot) for r in await session.scalars(select(RateWindow))}
    assert locks == {("dial:1", "+17193130002"), ("dedupe:1", "x")}
    assert windows == {("cps:1", second), ("sms_daily:1", 20_000)}


async def test_the_job_runs_at_most_once_per_period(
    app: FastAPI, factory: Factory, clock: FrozenClock
) -> None:
    job = PruneDialingLocks(every_seconds=3600)
    await job(state_of(app).worker_context)
    await add(factory, TimeLock(scope="dial:1", key="a", taken_at=clock.now() - timedelta(hours=1)))
    await job(state_of(app).worker_context)
    async with factory.sessionmaker() as session:
        assert len((await session.scalars(select(TimeLock))).all()) == 1
