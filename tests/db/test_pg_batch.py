"""Units that run together (group commit's ``Together``): one call for the batch on PostgreSQL,
each unit's own work on SQLite, and the same outcome either way, a refused unit included."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from leadflow.db.engine import create_engine
from leadflow.db.group_commit import GroupCommitter, Together
from leadflow.db.pg_batch import begin_message
from leadflow.db.statements import Sql
from leadflow.settings import Settings

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
INSERT = "INSERT INTO time_locks (scope, key, taken_at) VALUES ('test', :key, :now)"


class Keys:
    """A kind of unit that stores one key: alone, one statement; together, one ``executemany``
    for the lot. The calls made together are counted."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def insert_many(self, sql: Sql, keys: list[str]) -> list[object]:
        self.calls.append(keys)
        sql.many(INSERT, [{"key": key, "now": NOW} for key in keys])
        return list(keys)

    def unit(self, key: str) -> tuple[Callable[[Sql], str], int, Together]:
        def work(sql: Sql) -> str:
            sql.run(INSERT, key=key, now=NOW)
            return key

        return work, 0, Together(self.insert_many, key, (hash(key) & 0xFFFF,))


async def _stored(committer: GroupCommitter) -> list[str]:
    rows = await committer.run(
        lambda sql: sql.all(
            "SELECT key FROM time_locks WHERE scope = 'test' AND key IN (:k0, :k1, :k2, :k3)"
            " ORDER BY key",
            k0="a",
            k1="b",
            k2="c",
            k3="d",
        )
    )
    return [row["key"] for row in rows]


async def test_units_together_run_as_one_call(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    committer, keys = GroupCommitter(engine), Keys()
    try:
        results = await asyncio.gather(*(committer.run(*keys.unit(k)) for k in "abcd"))
        stored = await _stored(committer)
    finally:
        await committer.close()
        await engine.dispose()

    assert results == ["a", "b", "c", "d"]
    assert stored == ["a", "b", "c", "d"]
    assert keys.calls == [["a", "b", "c", "d"]]


async def test_a_unit_the_database_refuses_fails_alone_when_its_batch_ran_together(
    settings: Settings,
) -> None:
    """The batch's one call fails on the duplicate; the batch runs again unit by unit, and
    only the duplicate's caller hears."""
    engine = create_engine(settings.database_url)
    committer, keys = GroupCommitter(engine), Keys()
    try:
        await committer.run(*keys.unit("c"))
        outcomes = await asyncio.gather(
            *(committer.run(*keys.unit(k)) for k in "abcd"), return_exceptions=True
        )
        stored = await _stored(committer)
    finally:
        await committer.close()
        await engine.dispose()

    assert outcomes[:2] == ["a", "b"]
    assert outcomes[3] == "d"
    refused = outcomes[2]
    if settings.database_url.startswith("postgresql"):
        # As the engine raised it when batches ran through SQLAlchemy: callers catch these.
        assert isinstance(refused, IntegrityError)
        assert getattr(refused.orig, "sqlstate", None) == "23505"
    else:
        assert isinstance(refused, sqlite3.IntegrityError)  # SQLite's path is unchanged
    assert stored == ["a", "b", "c", "d"]


def test_the_batch_begins_with_its_locks_in_key_order_once_each() -> None:
    assert begin_message([7, 3, 7]) == (
        "BEGIN; SELECT pg_advisory_xact_lock(3); SELECT pg_advisory_xact_lock(7)"
    )


async def test_lists_of_values_select_the_same_rows_in_a_batch(settings: Settings) -> None:
    """``IN (:k0, :k1)`` and ``NOT IN`` (sent to PostgreSQL as one array each)."""
    engine = create_engine(settings.database_url)
    committer, keys = GroupCommitter(engine), Keys()

    def both(sql: Sql) -> tuple[list[str], list[str]]:
        query = "SELECT key FROM time_locks WHERE scope = 'test' AND key {} (:k0, :k1) ORDER BY key"
        chosen = sql.all(query.format("IN"), k0="b", k1="d")
        others = sql.all(query.format("NOT IN"), k0="b", k1="d")
        return [row["key"] for row in chosen], [row["key"] for row in others]

    try:
        await asyncio.gather(*(committer.run(*keys.unit(k)) for k in "abcd"))
        found = await committer.run(both)
    finally:
        await committer.close()
        await engine.dispose()

    assert found == (["b", "d"], ["a", "c"])
