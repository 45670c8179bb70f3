"""On SQLite the cadence decides each batch on a read snapshot and holds the write lock only to
check and write it (``leadflow.db.snapshot``): what it commits must be what a decision under
the lock would commit, whatever other writers changed in between.

SQLite only: PostgreSQL's claims lock rows, not the database, and decide under them."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from leadflow.app_state import state_of
from leadflow.cadence.job import CadenceJob, Decided, Planned
from leadflow.cadence.render import UnrenderedTemplateError
from leadflow.clock import FrozenClock
from leadflow.db.statements import Sql
from leadflow.worker.context import WorkerContext
from tests.cadence.conftest import Cadence
from tests.support.databases import fresh_sqlite

NEW_YORK = "+12125550123"


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite(sqlite_template, tmp_path)


def _job(cadence: Cadence) -> CadenceJob:
    [job] = [job for job in cadence.jobs if isinstance(job, CadenceJob)]
    return job


def _plan(cadence: Cadence, clock: FrozenClock) -> Planned | None:
    context: WorkerContext = state_of(cadence.app).worker_context
    assert context.snapshots is not None
    return context.snapshots.read(
        lambda sql: _job(cadence).plan(sql, context.settings, clock.now())
    )


async def _write(cadence: Cadence, clock: FrozenClock, planned: Planned | None) -> Decided:
    context = state_of(cadence.app).worker_context
    return await context.committer.run(  # type: ignore[no-any-return]
        lambda sql: _job(cadence).write_planned(sql, planned, context.settings, clock.now())
    )


def _database_path(cadence: Cadence) -> str:
    return make_url(str(state_of(cadence.app).engine.url)).database or ""


async def _work_after(cadence: Cadence, clock: FrozenClock, planned: Planned | None) -> None:
    """Write the plan as the job would, then send what it decided and go on as usual. A
    decision under the lock that needs a template the plan did not render is refused, as in
    the job, which then plans again on a new snapshot (templates never run under the lock)."""
    with contextlib.suppress(UnrenderedTemplateError):
        await _write(cadence, clock, planned)
    await cadence.work()


async def test_an_unchanged_plan_is_written_as_decided(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule([{"type": "sms", "body": "hi [first_name]"}])
    posted = await cadence.post_lead(schedule, first_name="Ada")

    planned = _plan(cadence, clock)
    decided = await _write(cadence, clock, planned)

    assert planned is not None
    assert planned.written
    assert decided.worked == 1
    [message] = await cadence.messages(posted["id"])
    assert message.body == "hi Ada"


async def test_deciding_does_not_hold_the_write_lock(cadence: Cadence, clock: FrozenClock) -> None:
    """An intake post commits while the worker is still deciding, and is not kept waiting."""
    schedule = await cadence.schedule([{"type": "call"}])
    await cadence.post_lead(schedule)
    context = state_of(cadence.app).worker_context
    assert context.snapshots is not None
    other = sqlite3.connect(_database_path(cadence), timeout=0, isolation_level=None)

    def plan_while_another_writes(sql: Any) -> Planned | None:
        planned = _job(cadence).plan(sql, context.settings, clock.now())
        other.execute("BEGIN IMMEDIATE")  # busy at once if the worker held the lock
        other.execute("UPDATE companies SET name = 'Renamed meanwhile'")
        other.execute("COMMIT")
        return planned

    try:
        planned = context.snapshots.read(plan_while_another_writes)
    finally:
        other.close()
    assert planned is not None
    assert planned.claimed


async def test_a_number_blocked_while_deciding_is_not_called(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule([{"type": "call"}])
    posted = await cadence.post_lead(schedule)

    planned = _plan(cadence, clock)
    response = await cadence.client.post(
        f"/api/v1/contacts/{NEW_YORK}/caller_block", headers=cadence.tenant.auth
    )
    assert response.status_code == 200, response.text
    await _work_after(cadence, clock, planned)

    assert planned is not None
    assert not planned.written
    assert await cadence.calls(posted["id"]) == []
    assert cadence.voice.sent == type(cadence.voice.sent)()


async def test_a_number_put_on_the_dnc_list_by_another_process_is_not_called(
    cadence: Cadence, clock: FrozenClock
) -> None:
    """A change to the contact alone (the lead's row untouched) is seen too."""
    schedule = await cadence.schedule([{"type": "call"}])
    posted = await cadence.post_lead(schedule)

    planned = _plan(cadence, clock)
    other = sqlite3.connect(_database_path(cadence), isolation_level=None)
    try:
        other.execute(
            "INSERT INTO contacts (company_id, number, blocked, opt_out, dnc, calls_count,"
            " sms_count, created_at, updated_at) VALUES (?, ?, 0, 0, 1, 0, 0,"
            " '2026-01-05 15:00:00', '2026-01-05 15:00:00')",
            (cadence.tenant.company.id, NEW_YORK),
        )
    finally:
        other.close()
    await _work_after(cadence, clock, planned)

    assert planned is not None
    assert not planned.written
    assert await cadence.calls(posted["id"]) == []
    assert await cadence.timeline(posted["id"]) == ["created", "lead_ended"]


async def test_a_lead_updated_while_deciding_is_worked_on_its_new_data(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule(
        [{"type": "sms", "body": "hi [first_name]"}], lead_duplicate_timeframe=3600
    )
    posted = await cadence.post_lead(schedule, first_name="Ada")

    planned = _plan(cadence, clock)
    again = await cadence.post_lead(schedule, first_name="Grace")
    assert again["id"] == posted["id"]
    await _work_after(cadence, clock, planned)

    assert planned is not None
    assert not planned.written
    [message] = await cadence.messages(posted["id"])
    assert message.body == "hi Grace"


async def test_a_schedule_paused_while_deciding_works_none_of_its_leads(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule([{"type": "sms", "body": "hi"}])
    posted = await cadence.post_lead(schedule)

    planned = _plan(cadence, clock)
    response = await cadence.client.put(
        f"/api/v1/schedules/{schedule.id}", json={"paused": True}, headers=cadence.tenant.auth
    )
    assert response.status_code == 200, response.text
    decided = await _write(cadence, clock, planned)

    assert decided.worked == 0
    assert await cadence.messages(posted["id"]) == []
    assert (await cadence.lead(posted["id"])).status == "scheduled"


async def test_a_plan_whose_batch_runs_again_is_written_once(
    cadence: Cadence, clock: FrozenClock
) -> None:
    """A failing unit in the same group-commit batch makes every unit run again: the plan
    must not be written a second time, and its lead is worked exactly once."""
    schedule = await cadence.schedule([{"type": "call"}])
    posted = await cadence.post_lead(schedule)
    context = state_of(cadence.app).worker_context
    planned = _plan(cadence, clock)

    def failing(sql: Sql) -> None:
        raise RuntimeError("a unit that fails")

    outcomes: list[Decided | BaseException | None] = await asyncio.gather(
        _write(cadence, clock, planned),
        context.committer.run(failing),
        return_exceptions=True,
    )
    decided, failed = outcomes

    assert isinstance(failed, RuntimeError)
    assert isinstance(decided, Decided)
    assert decided.worked == 1
    assert len(decided.effects) == 1
    assert len(await cadence.calls(posted["id"])) == 1


async def test_a_plan_that_must_write_as_it_goes_is_decided_under_the_lock(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule([{"type": "opt_out"}, {"type": "call"}])
    posted = await cadence.post_lead(schedule)

    planned = _plan(cadence, clock)
    await _work_after(cadence, clock, planned)

    assert planned is None
    assert (await cadence.lead(posted["id"])).status == "opt_out"
    assert await cadence.calls(posted["id"]) == []
