"""Decisions on a read snapshot (SQLite): the reader never writes, sees one consistent state,
and can tell whether anything it read has changed since.

SQLite only: the snapshot reader exists to keep SQLite's single write lock short."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.db.migrate import upgrade
from leadflow.db.snapshot import ReadLog, SnapshotReader, SnapshotWriteError
from leadflow.db.statements import SqliteSql

NOW = "2026-11-23 15:00:00"


@pytest.fixture
def path(tmp_path: Path) -> str:
    database = tmp_path / "app.db"
    upgrade(f"sqlite:///{database}")
    return str(database)


@pytest.fixture
def writer(path: str) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, isolation_level=None)
    yield connection
    connection.close()


@pytest.fixture
def reader(path: str) -> Iterator[SnapshotReader]:
    snapshots = SnapshotReader(path)
    yield snapshots
    snapshots.close()


def _lock(writer: sqlite3.Connection, key: str) -> None:
    writer.execute(
        "INSERT INTO time_locks (scope, key, taken_at) VALUES ('test', ?, ?)", (key, NOW)
    )


def _locks(sql: ReadLog) -> list[str]:
    return [row["key"] for row in sql.all("SELECT key FROM time_locks ORDER BY key")]


def test_a_read_log_refuses_to_write(reader: SnapshotReader) -> None:
    def write(sql: ReadLog) -> None:
        sql.run("DELETE FROM time_locks")

    with pytest.raises(SnapshotWriteError):
        reader.read(write)


def test_its_connection_cannot_write_either(reader: SnapshotReader) -> None:
    def write_past_the_log(sql: ReadLog) -> None:
        sql.connection.execute("DELETE FROM time_locks")

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.read(write_past_the_log)


def test_a_read_sees_one_state_whatever_commits_meanwhile(
    reader: SnapshotReader, writer: sqlite3.Connection
) -> None:
    _lock(writer, "a")

    def read_twice(sql: ReadLog) -> tuple[list[str], list[str]]:
        before = _locks(sql)
        _lock(writer, "b")  # another connection commits, without waiting for the reader
        return before, _locks(sql)

    assert reader.read(read_twice) == (["a"], ["a"])
    assert reader.read(_locks) == ["a", "b"]


def test_unchanged_answers_are_recognised(
    reader: SnapshotReader, writer: sqlite3.Connection
) -> None:
    _lock(writer, "a")
    log = reader.read(_log_of_reads)

    assert log.answers_unchanged(SqliteSql(writer))


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE time_locks SET taken_at = '2026-11-23 16:00:00' WHERE key = 'a'",
        "DELETE FROM time_locks WHERE key = 'a'",
        "INSERT INTO time_locks (scope, key, taken_at) VALUES ('test', 'z', '2026-11-23')",
    ],
    ids=["changed", "deleted", "found where nothing was"],
)
def test_any_changed_answer_is_noticed(
    reader: SnapshotReader, writer: sqlite3.Connection, change: str
) -> None:
    _lock(writer, "a")
    log = reader.read(_log_of_reads)
    writer.execute(change)

    assert not log.answers_unchanged(SqliteSql(writer))


def _log_of_reads(sql: ReadLog) -> ReadLog:
    sql.one("SELECT key, taken_at FROM time_locks WHERE key = :key", key="a")
    sql.one("SELECT key FROM time_locks WHERE key = :key", key="z")
    sql.all("SELECT key FROM time_locks ORDER BY key")
    return sql
