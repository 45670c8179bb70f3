"""Imports are atomic: readers keep the old version until the new one is whole and switched,
and an import killed with SIGKILL leaves the old list in force."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.dnc import imports, service
from leadflow.dnc.registry import DncRegistry
from leadflow.models import DncImport, DncList
from tests.support.cli import LEADFLOW, leadflow_env


def write_list(path: Path, *numbers: str) -> Path:
    path.write_text("".join(f"{n[:3]},{n[3:]}\n" for n in numbers))
    return path


def registry(app: FastAPI, directory: Path) -> DncRegistry:
    return DncRegistry(state_of(app).engine, directory, refresh_seconds=0)


async def test_full_and_change_lists_make_new_versions(
    app: FastAPI, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = tmp_path / "dnc"
    maker = state_of(app).sessionmaker
    first = write_list(tmp_path / "full.txt", "2015550001", "2015550002")
    record = await service.run_import(maker, directory, clock, first, "federal", "full")
    assert (record.version, record.rows, record.numbers, record.rejected) == (1, 2, 2, 0)
    added = write_list(tmp_path / "adds.txt", "3105550003")
    await service.run_import(maker, directory, clock, added, "federal", "additions")
    removed = write_list(tmp_path / "dels.txt", "2015550001")
    last = await service.run_import(maker, directory, clock, removed, "federal", "deletions")
    assert (last.version, last.numbers) == (3, 2)
    lists = registry(app, directory)
    await lists.refresh()
    assert lists.hits("+12015550001") == []
    assert [(h.name, h.version) for h in lists.hits("+12015550002")] == [("federal", 3)]
    assert [(h.name, h.version) for h in lists.hits("+13105550003")] == [("federal", 3)]
    # The current and one earlier version stay on disk; older ones are removed.
    assert len(list(directory.glob("federal-*.dnc"))) == 2


async def test_a_reader_during_an_import_sees_the_old_version(
    app: FastAPI, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = tmp_path / "dnc"
    maker = state_of(app).sessionmaker
    old = write_list(tmp_path / "old.txt", "2015550001")
    await service.run_import(maker, directory, clock, old, "litigator", "full")
    lists = registry(app, directory)
    new = write_list(tmp_path / "new.txt", "2015550002")
    async with maker() as session:
        base = await imports.current(session, "litigator")
    built = imports.build_version(directory, "litigator", "full", new, base, clock)
    await lists.refresh()
    assert [h.version for h in lists.hits("2015550001")] == [1]
    assert lists.hits("2015550002") == []
    async with maker() as session:
        await imports.switch(session, built, "new.txt", clock)
        await session.commit()
    await lists.refresh()
    assert lists.hits("2015550001") == []
    assert [h.version for h in lists.hits("2015550002")] == [2]


async def test_change_lists_applied_at_once_do_not_lose_numbers(
    app: FastAPI, clock: FrozenClock, tmp_path: Path
) -> None:
    directory = tmp_path / "dnc"
    maker = state_of(app).sessionmaker
    await service.run_import(
        maker, directory, clock, write_list(tmp_path / "a.txt", "2015550001"), "state:tx", "full"
    )
    async with maker() as session:
        base = await imports.current(session, "state:TX")
    one = imports.build_version(
        directory,
        "state:TX",
        "additions",
        write_list(tmp_path / "b.txt", "2015550002"),
        base,
        clock,
    )
    two = imports.build_version(
        directory,
        "state:TX",
        "additions",
        write_list(tmp_path / "c.txt", "2015550003"),
        base,
        clock,
    )
    async with maker() as session:
        await imports.switch(session, one, "b.txt", clock)
        await session.commit()
    async with maker() as session:
        with pytest.raises(imports.ImportConflictError):
            await imports.switch(session, two, "c.txt", clock)


async def test_kill_9_mid_import_leaves_the_old_list_in_force(
    app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "dnc"
    env = {"LEADFLOW_DNC_DIR": str(directory)}
    old = write_list(tmp_path / "old.txt", "2015550001")
    done = run_leadflow_env(database_url, env, "dnc", "import", str(old), "--list", "federal")
    assert json.loads(done.stdout)["version"] == 1

    kill_import_mid_way(database_url, env, tmp_path / "federal.txt")
    lists = registry(app, directory)
    await lists.refresh()
    assert [(h.name, h.version) for h in lists.hits("+12015550001")] == [("federal", 1)]
    assert lists.hits("+12122000001") == []
    async with state_of(app).sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(DncImport)) == 1
        row = await session.get(DncList, "federal")
        assert row is not None
        assert row.version == 1


def kill_import_mid_way(database_url: str, env: dict[str, str], pipe: Path) -> None:
    """The new list arrives through a pipe, so the import is certainly mid-way when killed: it
    has read part of the rows and waits for the rest."""
    os.mkfifo(pipe)
    process = subprocess.Popen(
        [str(LEADFLOW), "dnc", "import", str(pipe), "--list", "federal", "--no-progress"],
        env=leadflow_env(database_url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with open(pipe, "w") as writer:  # blocks until the import opens the file
            writer.write("".join(f"212,{n:07d}\n" for n in range(2_000_000, 2_300_000)))
            writer.flush()
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def run_leadflow_env(
    database_url: str, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(LEADFLOW), *args, "--json", "--no-progress"],
        env=leadflow_env(database_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result
