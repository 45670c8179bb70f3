"""``/healthz`` and ``leadflow status`` tell an operator whether leads can be stored, whether a
worker is alive, and how far behind the cadence is."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import DncList, Lead, WorkerHeartbeat
from leadflow.ops.heartbeat import Heartbeat
from tests.factories import Factory
from tests.support.cli import run_leadflow
from tests.support.server import ServerProcess


async def overdue_lead(client: httpx.AsyncClient, factory: Factory, due: datetime) -> int:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    response = await client.post(
        "/api/v1/leads", json={"lead_token": schedule.leads_api_key, "caller_id": "+12125550123"}
    )
    assert response.status_code == 200, response.text
    lead_id: int = response.json()["lead"]["id"]
    async with factory.sessionmaker() as session:
        await session.execute(update(Lead).where(Lead.id == lead_id).values(next_action_at=due))
        await session.commit()
    return lead_id


async def test_healthz_without_a_worker_is_degraded_but_serving(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["worker"] == {
        "ok": False,
        "processes": 0,
        "last_heartbeat_at": None,
        "last_heartbeat_age_seconds": None,
    }
    assert body["lag"] == {"ok": True, "oldest_due_seconds": 0.0}


async def test_a_beating_worker_makes_healthz_ok_until_it_falls_silent(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await Heartbeat()(state_of(app).worker_context)

    body = (await client.get("/healthz")).json()
    assert body["status"] == "ok"
    assert body["worker"]["processes"] == 1
    assert body["worker"]["last_heartbeat_at"] == clock.now().isoformat()

    clock.advance(seconds=31)  # past LEADFLOW_HEALTH_HEARTBEAT_STALE_SECONDS (30)
    body = (await client.get("/healthz")).json()
    assert body["status"] == "degraded"
    assert body["worker"]["ok"] is False
    assert body["worker"]["last_heartbeat_age_seconds"] == 31.0


async def test_a_worker_that_stops_in_order_leaves_no_heartbeat(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    heartbeat = Heartbeat()
    await heartbeat(state_of(app).worker_context)
    await heartbeat.aclose()

    body = (await client.get("/healthz")).json()
    assert body["worker"]["last_heartbeat_at"] is None


async def test_healthz_reports_how_long_the_oldest_due_lead_has_waited(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    await Heartbeat()(state_of(app).worker_context)
    await overdue_lead(client, factory, clock.now() - timedelta(seconds=120))

    body = (await client.get("/healthz")).json()

    assert body["lag"] == {"ok": False, "oldest_due_seconds": 120.0}
    assert body["status"] == "degraded"


async def test_leadflow_status_prints_what_healthz_reports(
    database_url: str, factory: Factory
) -> None:
    silent = run_leadflow(database_url, "status", expect_success=False)
    assert silent.returncode == 1
    assert "status: degraded" in silent.stdout
    assert "worker: no heartbeat yet" in silent.stdout

    now = datetime.now(UTC)
    async with factory.sessionmaker() as session:
        session.add(WorkerHeartbeat(worker="w1", host="h", pid=1, started_at=now, beat_at=now))
        await session.commit()
    healthy = run_leadflow(database_url, "status", "--json")
    report = json.loads(healthy.stdout)
    assert report["status"] == "ok"
    assert report["worker"]["processes"] == 1


def test_leadflow_status_exits_2_when_the_database_is_unreachable() -> None:
    result = run_leadflow("postgresql://nobody@127.0.0.1:1/none", "status", expect_success=False)
    assert result.returncode == 2
    assert "UNREACHABLE" in result.stdout


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path)
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.slow
async def test_serve_reports_its_own_worker_in_healthz(server: ServerProcess) -> None:
    server.start()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        for _ in range(100):
            body = (await http.get("/healthz")).json()
            if body["worker"]["processes"]:
                break
            await asyncio.sleep(0.2)
    assert body["status"] == "ok", body
    assert body["worker"]["processes"] == 1


async def test_healthz_and_status_report_the_do_not_call_lists_age_once_there_is_one(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock, database_url: str
) -> None:
    before = run_leadflow(database_url, "status", "--json", expect_success=False).stdout
    assert "dnc" not in json.loads(before)
    clock.current = datetime.now(UTC)  # `leadflow status` reads the system's clock
    imported = clock.now() - timedelta(days=40)
    async with factory.sessionmaker() as session:
        session.add(
            DncList(
                name="federal",
                version=3,
                file_name="federal-3.bits",
                numbers=1234,
                updated_at=imported,
            )
        )
        await session.commit()

    body = (await client.get("/healthz")).json()
    printed = run_leadflow(database_url, "status", expect_success=False).stdout

    assert body["dnc"] == {
        "lists": [
            {
                "name": "federal",
                "version": 3,
                "numbers": 1234,
                "updated_at": imported.isoformat(),
                "age_days": 40.0,
            }
        ]
    }
    assert "the federal do-not-call list is 40 days old (over 31)" in body["warnings"]
    assert "dnc: federal version 3, 1,234 numbers, imported 40." in printed
    assert "warning: the federal do-not-call list is 40 days old (over 31)" in printed
