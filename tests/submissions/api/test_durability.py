"""A submission acknowledged with a 200 survives ``kill -9`` of the server that answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import Submission, SubmittedLead
from tests.factories import Factory
from tests.submissions.api.conftest import api_key, lead
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

SUBMISSIONS = 80
IN_FLIGHT = 12
KILL_AFTER = 25


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def rows(database_url: str) -> AsyncIterator[Factory]:
    engine = create_engine(database_url, pool_size=1)
    try:
        yield Factory(make_sessionmaker(engine), SystemClock())
    finally:
        await engine.dispose()


async def test_every_acknowledged_submission_survives_kill_9(
    server: ServerProcess, rows: Factory
) -> None:
    tenant = await rows.tenant()
    headers = api_key(tenant)
    server.start()
    acknowledged: dict[str, str] = {}
    killed = asyncio.Event()
    gate = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        made = await http.post(
            "/api/v1/campaigns", json={"name": "Auto", "code": "auto"}, headers=headers
        )
        assert made.status_code == 201, made.text

        async def submit(n: int) -> None:
            async with gate:
                if killed.is_set():
                    return
                try:
                    answer = await http.post(
                        "/api/v1/leads/submit",
                        json=lead(phone=f"+1719313{n:04d}"),
                        headers=headers,
                    )
                except httpx.HTTPError:
                    return
                if answer.status_code == 200:
                    acknowledged[answer.json()["leadId"]] = answer.json()["submissionId"]
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    server.kill_hard()

        await asyncio.gather(*(submit(n) for n in range(SUBMISSIONS)))
    assert len(acknowledged) >= KILL_AFTER
    async with rows.sessionmaker() as session:
        stmt = select(SubmittedLead.uuid, Submission.uuid).join(
            Submission, Submission.lead_id == SubmittedLead.id
        )
        stored = {lead_id: sub_id for lead_id, sub_id in (await session.execute(stmt)).all()}
    missing = {k: v for k, v in acknowledged.items() if stored.get(k) != v}
    assert missing == {}
