"""Decide on a read snapshot, outside SQLite's write lock; write only what still holds.

SQLite has one write lock per database. A job that claims a batch, decides and writes, all in
one ``BEGIN IMMEDIATE``, holds that lock for the whole decision, and every API post waits as
long: under intake load the cadence's decisions alone kept the API's loop idle for a seventh
of the time. In WAL mode a reader never waits for the writer, so the decision can be made on a
snapshot instead (:meth:`SnapshotReader.read`), every answer it got from the database
remembered (:class:`ReadLog`). The write transaction then asks each question again
(:meth:`ReadLog.answers_unchanged`): when every answer is the same, deciding again under the
lock would decide the same, and the decision is written as it is; otherwise the caller decides
again under the lock. Either way what is committed is what a decision under the lock commits.

A decision that must write as it goes (an opt-out action, a webhook queued) cannot be made on
a snapshot: :meth:`ReadLog.run` refuses with :class:`SnapshotWriteError`, and the caller decides
that batch under the lock, as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from leadflow.db.engine import connect_sqlite
from leadflow.db.statements import Row, Sql, SqliteSql

T = TypeVar("T")


class SnapshotWriteError(Exception):
    """A decision on a snapshot tried to write; it must be made under the write lock."""


class ReadLog(SqliteSql):
    """A read-only :class:`SqliteSql` that remembers every question and its answer.

    Answers are compared as they were returned: a caller that changes a row it was given
    makes the comparison fail, which costs a decision under the lock, never a wrong write."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(connection)
        self.reads: list[tuple[Literal["one", "all"], str, dict[str, Any], Any]] = []

    def one(self, statement: str, **params: Any) -> Row | None:
        answer = super().one(statement, **params)
        self.reads.append(("one", statement, params, answer))
        return answer

    def all(self, statement: str, **params: Any) -> list[Row]:
        answer = super().all(statement, **params)
        self.reads.append(("all", statement, params, answer))
        return answer

    def run(self, statement: str, **params: Any) -> int:
        raise SnapshotWriteError(statement)

    def answers_unchanged(self, sql: Sql) -> bool:
        """Whether every question asked on the snapshot gets the same answer on ``sql``."""
        for kind, statement, params, answer in self.reads:
            again = sql.one(statement, **params) if kind == "one" else sql.all(statement, **params)
            if again != answer:
                return False
        return True


class SnapshotReader:
    """Read transactions on a connection of their own, never holding the write lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def read(self, work: Callable[[ReadLog], T]) -> T:
        """``work`` on one consistent snapshot of the database; nothing it does is kept."""
        connection = self._connect()
        connection.execute("BEGIN")
        try:
            return work(ReadLog(connection))
        finally:
            connection.execute("ROLLBACK")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = connect_sqlite(self.path)
            # Whatever goes past ReadLog.run (a statement on .connection) cannot write either.
            connection.execute("PRAGMA query_only=ON")
            self._connection = connection
        return self._connection
