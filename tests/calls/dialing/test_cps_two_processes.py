"""The calls-per-second budget is shared by every process through PostgreSQL: two real
``leadflow serve`` processes on one database, many make_calls at once, never more than the
company's limit of calls in any one second."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import Call
from tests.calls.dialing.conftest import PATH, set_calls_per_second
from tests.factories import Factory
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.engines("postgresql")]

LIMIT = 3
REQUESTS_PER_PROCESS = 20


def midday_zone() -> str:
    """A fixed-offset zone where it is about noon now (``Etc/GMT-3`` is UTC+3)."""
    offset = 12 - datetime.now(UTC).hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """Several processes share a budget only through PostgreSQL."""
    assert database_url.startswith("postgresql")
    return database_url


@pytest.fixture
def servers(postgres_url: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    processes = []
    try:
        for n in range(2):
            (tmp_path / str(n)).mkdir()
            process = ServerProcess(postgres_url, tmp_path / str(n))
            processes.append(process)
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()


@pytest.fixture
async def rows(postgres_url: str) -> AsyncIterator[Factory]:
    engine = create_engine(postgres_url, pool_size=1)
    try:
        yield Factory(make_sessionmaker(engine), SystemClock())
    finally:
        await engine.dispose()


async def test_two_processes_never_place_more_than_the_limit_in_one_second(
    servers: list[ServerProcess], rows: Factory
) -> None:
    tenant = await rows.tenant()
    await set_calls_per_second(rows, tenant, LIMIT)
    await rows.number(tenant, "+18005550100", ["voice"])
    schedule = await rows.schedule(tenant)
    clients = [httpx.AsyncClient(base_url=s.base_url, timeout=30) for s in servers]
    try:
        # Authenticate once per process first, so the burst is not spread by key checks.
        for http in clients:
            warm = await http.post(PATH, json={}, headers=tenant.auth)
            assert warm.status_code == 422, warm.text
        # The servers read the real clock: toll-free numbers reveal no zone, so the lead's
        # time_zone token alone says where it is, and it is midday there now.
        numbers = iter(f"+1800450{n:04d}" for n in range(2 * REQUESTS_PER_PROCESS))
        data = {"time_zone": midday_zone()}
        burst = [
            http.post(
                PATH,
                json={"schedule_id": schedule.id, "to": next(numbers), "data": data},
                headers=tenant.auth,
            )
            for http in clients
            for _ in range(REQUESTS_PER_PROCESS)
        ]
        answers = await asyncio.gather(*burst)
    finally:
        for http in clients:
            await http.aclose()

    placed = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert {(a.status_code, a.json()["error_code"]) for a in refused} == {(422, "cps_exceeded")}
    async with rows.sessionmaker() as session:
        calls = (await session.scalars(select(Call))).all()
    assert sorted(c.id for c in calls) == sorted(a.json()["call"]["id"] for a in placed)
    # Each process alone would fill a budget of its own in the burst's first second.
    per_second = Counter(int(call.created_at.timestamp()) for call in calls)
    assert max(per_second.values()) == LIMIT, per_second
    assert refused, "the burst never exceeded the budget: the test proved nothing"
