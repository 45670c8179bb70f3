"""``Sql.many``: a batch of rows stored as the rows one by one would be, on both engines, and
on SQLite as a few statements of many rows each (``statements.values_inserts``), which is
what took a lead's insert in a CSV import from 14 µs to 6."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from leadflow.db.engine import create_engine
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.statements import (
    ROWS_PER_INSERT,
    SQLITE_VARIABLES,
    Sql,
    insert_statement,
    values_inserts,
)
from leadflow.settings import Settings

NOW = datetime(2026, 12, 7, 23, 50, 0, 123456, tzinfo=UTC)
# A literal among the values and a parameter used twice: both kept in every row.
INSERT = "INSERT INTO time_locks (scope, key, taken_at) VALUES ('many:' || :key, :key, :at)"


def _rows(count: int) -> list[dict[str, Any]]:
    return [{"key": f"k{n:05d}", "at": NOW + timedelta(seconds=n)} for n in range(count)]


async def _in_a_unit(settings: Settings, work: Callable[[Sql], Any]) -> Any:
    engine = create_engine(settings.database_url)
    committer = GroupCommitter(engine)
    try:
        return await committer.run(work)
    finally:
        await committer.close()
        await engine.dispose()


def _stored(sql: Sql) -> list[tuple[str, str, datetime]]:
    rows = sql.all(
        "SELECT scope, key, taken_at FROM time_locks WHERE scope LIKE 'many:%' ORDER BY key"
    )
    return [(row["scope"], row["key"], row["taken_at"]) for row in rows]


async def test_a_thousand_rows_are_stored_each_with_its_own_values(settings: Settings) -> None:
    rows = _rows(1000)  # not a power of two: statements of 512, 256, … 8 rows on SQLite

    def work(sql: Sql) -> list[tuple[str, str, datetime]]:
        sql.many(INSERT, rows)
        return _stored(sql)

    stored = await _in_a_unit(settings, work)
    assert stored == [(f"many:{row['key']}", row["key"], row["at"]) for row in rows]


@pytest.mark.engines("sqlite")  # PostgreSQL's failed statement ends the transaction
async def test_a_refused_row_raises_and_no_row_after_it_is_stored(settings: Settings) -> None:
    rows = _rows(700)
    rows[600] = {**rows[10], "at": NOW}  # refused: the key is taken

    def work(sql: Sql) -> list[tuple[str, str, datetime]]:
        with pytest.raises((sqlite3.IntegrityError, IntegrityError)):
            sql.many(INSERT, rows)
        return _stored(sql)

    stored = await _in_a_unit(settings, work)
    keys = [key for _scope, key, _at in stored]
    assert len(keys) <= 600  # none from the refused row on
    assert keys == [row["key"] for row in rows[: len(keys)]]


def test_statements_hold_powers_of_two_of_rows_within_sqlite_s_parameter_limit() -> None:
    narrow = insert_statement(INSERT)
    assert narrow is not None
    assert narrow.names == ("key", "key", "at")
    sizes = [len(values) // 3 for _text, values in values_inserts(narrow, _rows(1000))]
    assert sizes == [512, 256, 128, 64, 32, 8]

    columns = [f"c{n}" for n in range(300)]
    wide = insert_statement(
        f"INSERT INTO t ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )
    assert wide is not None
    row = {name: 1 for name in columns}
    statements = list(values_inserts(wide, [row] * 1000))
    assert sum(len(values) for _text, values in statements) == 300 * 1000
    for text, values in statements:
        size = len(values) // 300
        assert size & (size - 1) == 0  # a power of two
        assert size <= ROWS_PER_INSERT
        assert len(values) <= SQLITE_VARIABLES
        assert text.count("?") == len(values)


def test_only_a_plain_insert_of_values_is_taken_apart() -> None:
    for statement in (
        "INSERT INTO t (a) VALUES (:a) ON CONFLICT (a) DO NOTHING",
        "INSERT INTO t (a) VALUES (:a) RETURNING id",
        "INSERT INTO t (a) SELECT :a",
        "UPDATE t SET a = :a",
    ):
        assert insert_statement(statement) is None, statement
