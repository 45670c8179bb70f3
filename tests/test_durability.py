"""A lead acknowledged with a 2xx survives ``kill -9`` of the server that acknowledged it.

A real ``leadflow serve`` process takes concurrent posts; it is killed without warning while
posts are still in flight, restarted, and every lead it acknowledged must be in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import Lead
from tests.factories import Factory
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

LEADS = 300
IN_FLIGHT = 24
KILL_AFTER = 100


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def rows(database_url: str) -> AsyncIterator[Factory]:
    """Rows written straight to the database the server uses (no app in this process)."""
    engine = create_engine(database_url, pool_size=1)
    try:
        yield Factory(make_sessionmaker(engine), SystemClock())
    finally:
        await engine.dispose()


def caller_id(n: int) -> str:
    return f"+1719313{n:04d}"


async def post_until_killed(server: ServerProcess, lead_token: str) -> dict[str, int]:
    """Post ``LEADS`` distinct leads, ``IN_FLIGHT`` at a time; kill the server once
    ``KILL_AFTER`` were acknowledged. Returns caller ID → lead id of every 2xx answer."""
    acknowledged: dict[str, int] = {}
    killed = asyncio.Event()
    gate = asyncio.Semaphore(IN_FLIGHT)
    limits = httpx.Limits(max_connections=IN_FLIGHT)

    async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as http:

        async def post(n: int) -> None:
            async with gate:
                if killed.is_set():
                    return
                try:
                    response = await http.post(
                        "/api/v1/leads",
                        json={
                            "lead_token": lead_token,
                            "caller_id": caller_id(n),
                            "data": {"n": str(n)},
                        },
                    )
                except httpx.HTTPError:
                    return
                if response.is_success:
                    acknowledged[caller_id(n)] = response.json()["lead"]["id"]
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    server.kill_hard()

        await asyncio.gather(*(post(n) for n in range(LEADS)))
    return acknowledged


async def stored_leads(rows: Factory) -> dict[str, int]:
    async with rows.sessionmaker() as session:
        found = await session.execute(select(Lead.caller_id, Lead.id))
        return {caller: lead_id for caller, lead_id in found.all() if caller}


async def test_every_acknowledged_lead_survives_kill_9(
    server: ServerProcess, rows: Factory
) -> None:
    tenant = await rows.tenant()
    schedule = await rows.schedule(tenant)
    server.start()

    acknowledged = await post_until_killed(server, schedule.leads_api_key)

    assert server.process is None, "the server was never killed"
    assert len(acknowledged) >= KILL_AFTER
    server.start()
    after_restart = await stored_leads(rows)
    missing = {c: i for c, i in acknowledged.items() if after_restart.get(c) != i}
    assert missing == {}, f"{len(missing)} acknowledged leads were lost:\n{server.log()}"

    late = await asyncio.to_thread(
        httpx.post,
        f"{server.base_url}/api/v1/leads",
        json={"lead_token": schedule.leads_api_key, "caller_id": caller_id(9999)},
        timeout=30,
    )
    assert late.status_code == 200, late.text
