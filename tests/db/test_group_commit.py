"""Group commit across processes: two batches that lock the same things in opposite orders."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from leadflow.db.engine import create_engine
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.statements import Sql
from leadflow.settings import Settings

COMPANY_LOCK = 4242
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _touch_row(sql: Sql) -> None:
    sql.run("UPDATE time_locks SET taken_at = :now WHERE scope = 'test' AND key = 'row'", now=NOW)


def _pause(sql: Sql) -> None:
    if sql.dialect == "postgresql":
        sql.one("SELECT 1 AS done FROM pg_sleep(0.3)")


def _take_company_lock(sql: Sql) -> None:
    if sql.dialect == "postgresql":
        sql.one("SELECT 1 AS done FROM pg_advisory_xact_lock(:key)", key=COMPANY_LOCK)


async def test_a_deadlock_between_two_processes_batches_fails_no_unit(
    settings: Settings,
) -> None:
    """Process one's batch locks a row, then waits for a company lock; process two's holds the
    company lock, then wants the row (a cadence claim beside a make_call, the other way round).
    The database picks a victim; its unit must run again after its batch committed, and every
    caller gets its result."""
    runs: Counter[str] = Counter()

    def unit(name: str, *steps: Callable[[Sql], None]) -> Callable[[Sql], str]:
        def work(sql: Sql) -> str:
            runs[name] += 1
            for step in steps:
                step(sql)
            return name

        return work

    first_engine = create_engine(settings.database_url)
    second_engine = create_engine(settings.database_url)
    first, second = GroupCommitter(first_engine), GroupCommitter(second_engine)
    try:
        await first.run(
            lambda sql: sql.run(
                "INSERT INTO time_locks (scope, key, taken_at) VALUES ('test', 'row', :now)",
                now=NOW,
            )
        )
        results = await asyncio.wait_for(
            asyncio.gather(
                first.run(unit("claim", _touch_row), 1),
                first.run(unit("dial", _pause, _take_company_lock), 2),
                second.run(unit("dial-2", _take_company_lock), 1),
                second.run(unit("claim-2", _pause, _touch_row), 2),
            ),
            timeout=30,
        )
    finally:
        await first.close()
        await second.close()
        await first_engine.dispose()
        await second_engine.dispose()

    assert list(results) == ["claim", "dial", "dial-2", "claim-2"]
    if settings.database_url.startswith("postgresql"):
        # The deadlock did happen (else this test proves nothing): some unit ran again.
        assert sum(runs.values()) > 4, runs
    else:
        assert sum(runs.values()) == 4, "SQLite's single writer never deadlocks"


class RefusedError(Exception):
    pass


def _insert_lock(key: str) -> Callable[[Sql], str]:
    def work(sql: Sql) -> str:
        sql.run(
            "INSERT INTO time_locks (scope, key, taken_at) VALUES ('test', :key, :now)",
            key=key,
            now=NOW,
        )
        return key

    return work


def _insert_lock_then_refuse(sql: Sql) -> str:
    _insert_lock("refused")(sql)
    raise RefusedError("this unit fails after writing")


async def _stored_keys(committer: GroupCommitter) -> list[str]:
    rows = await committer.run(
        lambda sql: sql.all("SELECT key FROM time_locks WHERE scope = 'test' ORDER BY key")
    )
    return [row["key"] for row in rows]


async def test_a_failing_unit_fails_alone_and_the_rest_of_its_batch_commits(
    settings: Settings,
) -> None:
    engine = create_engine(settings.database_url)
    committer = GroupCommitter(engine)
    try:
        outcomes = await asyncio.gather(
            committer.run(_insert_lock("first")),
            committer.run(_insert_lock_then_refuse),
            committer.run(_insert_lock("last")),
            return_exceptions=True,
        )
        stored = await _stored_keys(committer)
    finally:
        await committer.close()
        await engine.dispose()

    assert outcomes[0] == "first"
    assert outcomes[2] == "last"
    assert isinstance(outcomes[1], RefusedError)
    assert stored == ["first", "last"]  # nothing of the failed unit's own write is kept


async def test_a_unit_sees_what_an_earlier_unit_of_its_batch_wrote(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    committer = GroupCommitter(engine)

    def count_locks(sql: Sql) -> int:
        found = sql.one("SELECT count(*) AS n FROM time_locks WHERE scope = 'test'")
        return int(found["n"]) if found else 0

    try:
        _, seen = await asyncio.gather(
            committer.run(_insert_lock("first")), committer.run(count_locks)
        )
    finally:
        await committer.close()
        await engine.dispose()
    assert seen == 1
