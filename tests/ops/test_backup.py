"""``leadflow db backup`` copies a database that a real server is writing to, and
``leadflow db restore`` brings that copy back whole, on each engine."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import Company, Lead, LeadEvent
from leadflow.ops.repository import beat
from tests.factories import Factory
from tests.support.cli import run_leadflow
from tests.support.databases import create_postgres_database
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

IN_FLIGHT = 8


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path, env={"LEADFLOW_EMBEDDED_WORKER": "false"})
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


async def another_database(database_url: str, tmp_path: Path, postgres_server: str | None) -> str:
    """An empty database on the same engine, to restore into."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    assert postgres_server is not None
    return await create_postgres_database(
        postgres_server, f"leadflow_restore_{uuid.uuid4().hex[:8]}"
    )


async def lead_ids(database_url: str) -> tuple[set[int], int]:
    """Every lead's id, and how many leads have their ``created`` event."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            ids = set((await conn.scalars(select(Lead.id))).all())
            created = await conn.scalar(
                select(func.count(func.distinct(LeadEvent.lead_id))).where(
                    LeadEvent.kind == "created"
                )
            )
        return ids, int(created or 0)
    finally:
        await engine.dispose()


class Load:
    """Distinct leads posted ``IN_FLIGHT`` at a time until stopped; remembers each one the
    server acknowledged."""

    def __init__(self, server: ServerProcess, lead_token: str) -> None:
        self.server = server
        self.lead_token = lead_token
        self.acknowledged: dict[int, int] = {}
        self.stopping = asyncio.Event()
        self._answered = asyncio.Event()

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=IN_FLIGHT)
        async with httpx.AsyncClient(base_url=self.server.base_url, limits=limits) as http:
            await asyncio.gather(*(self._post_until_stopped(http, k) for k in range(IN_FLIGHT)))

    async def _post_until_stopped(self, http: httpx.AsyncClient, lane: int) -> None:
        n = lane
        while not self.stopping.is_set():
            body = {"lead_token": self.lead_token, "caller_id": f"+1719313{n:04d}"}
            response = await http.post("/api/v1/leads", json=body, timeout=30)
            assert response.status_code == 200, response.text
            self.acknowledged[n] = response.json()["lead"]["id"]
            self._answered.set()
            n += IN_FLIGHT

    async def until(self, count: int) -> None:
        while len(self.acknowledged) < count:
            self._answered.clear()
            await self._answered.wait()


async def test_a_backup_taken_under_intake_load_restores_every_lead_it_saw(
    server: ServerProcess,
    rows: Factory,
    database_url: str,
    tmp_path: Path,
    postgres_server: str | None,
) -> None:
    tenant = await rows.tenant()
    schedule = await rows.schedule(tenant)
    server.start()
    load = Load(server, schedule.leads_api_key)
    posting = asyncio.create_task(load.run())
    await load.until(100)

    before = set(load.acknowledged.values())
    backup = tmp_path / "backups" / "leadflow.backup"
    result = await asyncio.to_thread(run_leadflow, database_url, "db", "backup", str(backup))
    after = set(load.acknowledged.values())
    await load.until(len(after) + 50)  # the server kept taking leads all along
    load.stopping.set()
    await posting

    assert f"backed up to {backup}" in result.stdout
    target = await another_database(database_url, tmp_path, postgres_server)
    run_leadflow(target, "db", "restore", str(backup), "--yes")

    restored, with_created_event = await lead_ids(target)
    assert before <= restored <= after | before
    assert len(restored) < len(load.acknowledged)
    # One instant's picture: no lead without the event written in its transaction.
    assert with_created_event == len(restored)


async def test_restore_replaces_what_the_database_held(
    rows: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await rows.tenant()
    await rows.schedule(tenant)
    backup = tmp_path / "one-company.backup"
    run_leadflow(database_url, "db", "backup", str(backup))
    await rows.tenant("Added after the backup")

    run_leadflow(database_url, "db", "restore", str(backup), "--yes")

    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            names = (await conn.scalars(select(Company.name))).all()
    finally:
        await engine.dispose()
    assert names == [tenant.company.name]


async def test_restore_refuses_a_file_that_is_not_a_backup(
    database_url: str, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all" * 100)

    result = run_leadflow(database_url, "db", "restore", str(junk), "--yes", expect_success=False)

    assert result.returncode == 1
    assert "restore failed" in result.stderr


async def test_a_backup_that_cannot_be_written_fails_with_a_message(
    database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")

    into_a_folder = run_leadflow(database_url, "db", "backup", str(tmp_path), expect_success=False)
    under_a_file = run_leadflow(
        database_url, "db", "backup", str(tmp_path / "a-file" / "x.backup"), expect_success=False
    )

    assert into_a_folder.returncode == 1
    assert f"backup failed: {tmp_path} is a directory" in into_a_folder.stderr
    assert under_a_file.returncode == 1
    assert "backup failed: cannot write" in under_a_file.stderr
    assert "Traceback" not in into_a_folder.stderr + under_a_file.stderr


@pytest.mark.engines("sqlite")
async def test_a_backup_never_overwrites_the_database_itself(
    rows: Factory, database_url: str
) -> None:
    tenant = await rows.tenant()
    live = Path(database_url.removeprefix("sqlite:///"))

    for target in (live, live.with_name(live.name + "-wal")):
        result = run_leadflow(database_url, "db", "backup", str(target), expect_success=False)
        assert result.returncode == 1
        assert "is the database itself" in result.stderr

    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert (await conn.scalars(select(Company.name))).all() == [tenant.company.name]
    finally:
        await engine.dispose()


@pytest.mark.engines("sqlite")
def test_a_backup_of_a_database_that_does_not_exist_fails(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"

    result = run_leadflow(
        f"sqlite:///{missing}", "db", "backup", str(tmp_path / "x.backup"), expect_success=False
    )

    assert result.returncode == 1
    assert f"no database at {missing}" in result.stderr
    assert not missing.exists()
    assert not (tmp_path / "x.backup").exists()


@pytest.mark.engines("sqlite")
async def test_restore_refuses_a_sqlite_file_that_is_not_a_leadflow_backup(
    rows: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await rows.tenant()
    other = tmp_path / "someone-elses.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()

    result = run_leadflow(database_url, "db", "restore", str(other), "--yes", expect_success=False)

    assert result.returncode == 1
    assert "not a Leadflow backup" in result.stderr
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert (await conn.scalars(select(Company.name))).all() == [tenant.company.name]
    finally:
        await engine.dispose()


async def test_restore_refuses_while_a_worker_is_running_unless_forced(
    rows: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await rows.tenant()
    backup = tmp_path / "one-company.backup"
    run_leadflow(database_url, "db", "backup", str(backup))
    await rows.tenant("Added after the backup")
    engine = create_engine(database_url, pool_size=1)
    try:
        now = SystemClock().now()
        async with engine.begin() as conn:
            await beat(conn, worker="w-1", host="node-a", pid=4242, started_at=now, now=now)

        refused = run_leadflow(
            database_url, "db", "restore", str(backup), "--yes", expect_success=False
        )
        async with engine.connect() as conn:
            kept = (await conn.scalars(select(Company.name))).all()
        run_leadflow(database_url, "db", "restore", str(backup), "--yes", "--force")
        async with engine.connect() as conn:
            restored = (await conn.scalars(select(Company.name))).all()
    finally:
        await engine.dispose()

    assert refused.returncode == 1
    assert "worker 4242 on node-a is still running" in refused.stderr
    assert len(kept) == 2
    assert restored == [tenant.company.name]
