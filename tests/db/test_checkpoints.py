"""SQLite's write-ahead log is copied into the database file beside the group committer's
commits, not inside them, and stays bounded under a writer that never pauses."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from leadflow.db import checkpoints
from leadflow.db.engine import create_engine
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.migrate import upgrade
from leadflow.db.statements import Sql

PAGE = 4096
NOW = "2026-11-23 15:00:00"


def _write_pages(count: int, start: int) -> Callable[[Sql], None]:
    """A unit that writes about ``count`` pages of new rows."""

    def work(sql: Sql) -> None:
        for n in range(start, start + count):
            sql.run(
                "INSERT INTO time_locks (scope, key, taken_at) VALUES ('test', :key, :now)",
                key=f"{n:08d}" + "x" * (PAGE - 200),
                now=NOW,
            )

    return work


def _log_bytes(path: str | Path) -> int:
    return os.path.getsize(f"{path}-wal")


def _sizes(path: str) -> tuple[int, int]:
    return os.path.getsize(path), os.path.getsize(f"{path}-wal")


async def _fill(url: str, pages: int) -> tuple[int, int]:
    """Write ``pages`` pages in batches; the database file's and the log's sizes while the
    writer is still open (closing the last connection would checkpoint everything)."""
    path = make_url(url).database or ""
    engine = create_engine(url)
    committer = GroupCommitter(engine)
    try:
        for batch in range(0, pages, 100):
            await committer.run(_write_pages(100, batch))
        deadline = time.monotonic() + 10
        checkpointer = committer._checkpointer
        assert checkpointer is not None
        while checkpointer._running is not None and not checkpointer._running.done():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        return _sizes(path)
    finally:
        await committer.close()
        await engine.dispose()


async def test_the_log_reaches_the_database_file_without_a_checkpoint_in_any_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "app.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    before = path.stat().st_size
    size, _ = await _fill(url, 1500)
    # The committer's own connection checkpoints nothing (wal_autocheckpoint=0); the pages
    # are in the database file all the same, copied there by the checkpoint thread.
    assert size - before > 1000 * PAGE


async def test_a_log_that_outgrows_its_bound_is_checkpointed_by_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "app.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    # No thread ever gets to run: only the writer's inline checkpoint can bound the log.
    monkeypatch.setattr(checkpoints, "CHECKPOINT_PAGES", 10**9)
    monkeypatch.setattr(checkpoints, "INLINE_PAGES", 500)
    before = path.stat().st_size
    size, _ = await _fill(url, 1500)
    assert size - before > 1000 * PAGE


def test_a_log_grown_big_but_copied_needs_no_checkpoint() -> None:
    # SQLite starts a log over without shrinking its file: its size alone is no measure.
    assert checkpoints.uncopied_frames(7245, copied=7245) == 0


def test_frames_written_since_the_last_checkpoint_are_uncopied() -> None:
    assert checkpoints.uncopied_frames(7300, copied=7245) == 55


def test_a_log_that_started_over_is_all_uncopied() -> None:
    assert checkpoints.uncopied_frames(40, copied=7245) == 40


async def test_a_log_that_starts_over_is_cut_to_what_it_holds(tmp_path: Path) -> None:
    """So that its file's size is a measure of its frames (``journal_size_limit=0``)."""
    path = tmp_path / "app.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine(url)
    committer = GroupCommitter(engine)
    try:
        for batch in range(0, 1500, 100):
            await committer.run(_write_pages(100, batch))
        grown = _log_bytes(path)
        running = committer._checkpointer._running if committer._checkpointer else None
        if running is not None:
            await asyncio.wrap_future(running)
        checkpointer = sqlite3.connect(path)
        try:
            assert checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0] == 0
        finally:
            checkpointer.close()
        await committer.run(_write_pages(1, 10_000))  # the log starts over
        assert grown > 1000 * PAGE
        assert _log_bytes(path) < 50 * PAGE
    finally:
        await committer.close()
        await engine.dispose()
