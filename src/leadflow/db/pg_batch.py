"""PostgreSQL's group-commit batch, on the driver's own connection.

Measured on the 2-core host (``bench.intake_profile``): a lead posted to PostgreSQL cost 4.2
round trips to the database, each a turn through SQLAlchemy's cursor adapter (BEGIN, the
duplicate lock, the suppression row, the insert, the timeline row), and those turns, not the
work, held intake to a tenth of ``/ping``. Here a batch runs on the asyncpg connection that
SQLAlchemy's pool holds (its JSON codecs and statement cache included), through
:class:`AsyncpgSql`:

- ``BEGIN`` and the batch's duplicate locks (the advisory locks its units name up front, in key
  order, as units would take them) go in one message;
- a list of parameters named ``n0, n1, …`` (``IN (:n0, :n1)``, how the batched reads pass a
  batch's numbers) is sent as one array (``= ANY($1)``; ``NOT IN``: ``<> ALL($1)``), so the
  statement is the same text and the same prepared statement whatever the batch's size;
- the inserts a batch holds back to its end (``leads.batch``: its leads and their timeline) go
  as one statement, within :func:`writes_together`: each table's rows as arrays, one per
  column (``INSERT … SELECT * FROM unnest($1::bigint[], …)``), the tables chained in one
  ``WITH``. A lead's insert locks the hour's report counters (the reports' triggers) until the
  commit, so another process's batch waits from there: one round trip to the commit, not
  two, and the database executes one statement, not one per row;
- the units' statements go straight to the driver, bridged with SQLAlchemy's own greenlet
  (as ``run_sync`` does), and the driver's errors are raised as the same SQLAlchemy exceptions
  the engine raises, so callers and :func:`~leadflow.db.group_commit.is_transient` see no change.

What a batch runs (the units, batched intake) is group commit's business: this module is only
the connection and its transaction.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_, greenlet_spawn

# The plain-SQL layer's own placeholder rewriting and value encoding, so that a value is sent
# exactly as ConnectionSql sends it.
from leadflow.db.statements import (
    InsertStatement,
    Row,
    Sql,
    _encode,
    _numbered,
    insert_statement,
)
from leadflow.models.base import Base

T = TypeVar("T")
Held = list[tuple[str, Sequence[dict[str, Any]]]]

_IN_LIST = re.compile(r"(NOT )?IN \(:([a-zA-Z_]+)0((?:, :\2\d+)*)\)")


@lru_cache(maxsize=512)
def _driver_statement(statement: str) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The statement for asyncpg (``$n`` placeholders, ``IN`` lists as arrays) and, in the
    order of the placeholders, each value's name with the length of its list (0: no list)."""
    lists: dict[str, int] = {}

    def as_array(match: re.Match[str]) -> str:
        negated, prefix, rest = match.group(1), match.group(2), match.group(3)
        count = 1 + rest.count(",")
        if rest != "".join(f", :{prefix}{index}" for index in range(1, count)):
            return match.group(0)  # not n0, n1, n2 … in order: left as it is
        lists[prefix] = count
        return f"<> ALL(:{prefix})" if negated else f"= ANY(:{prefix})"

    text, names = _numbered(_IN_LIST.sub(as_array, statement))
    return text, tuple((name, lists.get(name, 0)) for name in names)


def _values(order: tuple[tuple[str, int], ...], params: dict[str, Any]) -> list[Any]:
    return [
        [_encode(params[f"{name}{i}"], sqlite=False) for i in range(count)]
        if count
        else _encode(params[name], sqlite=False)
        for name, count in order
    ]


class AsyncpgSql:
    """:class:`~leadflow.db.statements.Sql` on a raw asyncpg connection, for code running
    inside :meth:`Transaction.run` (a greenlet, as in SQLAlchemy's ``run_sync``)."""

    dialect = "postgresql"

    def __init__(self, connection: asyncpg.Connection, engine_dialect: Dialect) -> None:
        self.connection = connection
        self.engine_dialect = engine_dialect
        self.memo: dict[Any, Any] = {}
        self.held: Held | None = None
        """Inserts held back by :func:`writes_together`, while it runs."""

    def _await(self, call: Callable[[], Any], statement: str, values: Any) -> Any:
        try:
            return await_(call())
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise as_sqlalchemy_error(exc, self.engine_dialect, statement, values) from exc

    def one(self, statement: str, **params: Any) -> Row | None:
        text, order = _driver_statement(statement)
        values = _values(order, params)
        found = self._await(lambda: self.connection.fetchrow(text, *values), text, values)
        return dict(found) if found is not None else None

    def all(self, statement: str, **params: Any) -> list[Row]:
        text, order = _driver_statement(statement)
        values = _values(order, params)
        rows = self._await(lambda: self.connection.fetch(text, *values), text, values)
        return [dict(row) for row in rows]

    def run(self, statement: str, **params: Any) -> int:
        text, order = _driver_statement(statement)
        values = _values(order, params)
        if not values:  # SAVEPOINT and the like: the simple protocol, no statement to prepare
            status = self._await(lambda: self.connection.execute(text), text, values)
        else:
            status = self._await(lambda: self.connection.execute(text, *values), text, values)
        count = str(status).rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else -1

    def many(self, statement: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.held is not None and _column_arrays(statement) is not None:
            self.held.append((statement, rows))
            return
        text, order = _driver_statement(statement)
        values = [_values(order, row) for row in rows]
        # One message for every row (asyncpg pipelines executemany): one round trip.
        self._await(lambda: self.connection.executemany(text, values), text, values)

    def insert_held(self, held: Held) -> None:
        """The held inserts as one statement (see the module's docstring)."""
        values: list[list[Any]] = []
        inserts: list[str] = []
        for statement, rows in held:
            insert = _column_arrays(statement)
            assert insert is not None
            arrays = []
            for name in insert.names:
                values.append([_encode(row[name], sqlite=False) for row in rows])
                array_type = _array_type(insert.table, name, self.engine_dialect)
                arrays.append(f"${len(values)}::{array_type}")
            unnest = f"unnest({', '.join(arrays)})"
            inserts.append(f"INSERT INTO {insert.table} ({insert.columns}) SELECT * FROM {unnest}")
        text = inserts[-1]
        if len(inserts) > 1:
            chained = ", ".join(f"w{n} AS ({insert})" for n, insert in enumerate(inserts[:-1]))
            text = f"WITH {chained} {text}"
        self._await(lambda: self.connection.execute(text, *values), text, values)


@lru_cache(maxsize=64)
def _column_arrays(statement: str) -> InsertStatement | None:
    """A plain insert whose values are each one parameter (``INSERT INTO t (a, b) VALUES
    (:a, :b)``, no literal among them): its rows can go as one array a column."""
    insert = insert_statement(statement)
    if insert is None or insert.row != f"({', '.join(['?'] * len(insert.names))})":
        return None
    return insert


@lru_cache(maxsize=256)
def _array_type(table: str, column: str, dialect: Dialect) -> str:
    """``BIGINT[]``, ``JSONB[]`` …: the column's own type, from the ORM metadata."""
    return f"{Base.metadata.tables[table].columns[column].type.compile(dialect)}[]"


@contextmanager
def writes_together(sql: Sql) -> Iterator[None]:
    """Hold back the inserts made with ``sql.many`` inside, and send them as one statement
    at the end (on the PostgreSQL batch's connection; elsewhere a no-op). Only for code that
    reads none of them back before the end, as nothing is written until then."""
    if not isinstance(sql, AsyncpgSql) or sql.held is not None:
        yield
        return
    sql.held = []
    try:
        yield
        held = sql.held
    finally:
        sql.held = None
    if held:
        sql.insert_held(held)


def as_sqlalchemy_error(
    error: Exception, dialect: Dialect, statement: str, values: Any
) -> StatementError:
    """The exception SQLAlchemy raises for this driver error through the engine: the same
    class (``IntegrityError`` …), with the driver's ``sqlstate`` on its ``orig``."""
    dbapi: Any = dialect.loaded_dbapi
    translated: Exception = dbapi.Error(str(error), error)
    for kind in type(error).__mro__:
        adapted = dbapi._asyncpg_error_translate.get(kind)
        if adapted is not None:
            translated = adapted(str(error), error)
            break
    return DBAPIError.instance(statement, values, translated, dbapi.Error, dialect=dialect)


def begin_message(lock_keys: Iterable[int]) -> str:
    """``BEGIN`` and the advisory locks, as one message of the simple protocol (the keys are
    integers we computed, never text from a request)."""
    locks = "".join(f"; SELECT pg_advisory_xact_lock({int(key)})" for key in sorted(set(lock_keys)))
    return "BEGIN" + locks


class Transaction:
    """One batch's transaction on the driver connection; see :func:`transaction`."""

    def __init__(self, connection: asyncpg.Connection, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect
        self.sql: Sql = AsyncpgSql(connection, dialect)

    async def begin(self, lock_keys: Iterable[int] = ()) -> None:
        await self._simple(begin_message(lock_keys))

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(sql, *args)``, synchronous code whose statements await the driver."""
        return await greenlet_spawn(work, self.sql, *args)

    async def rollback(self) -> None:
        await self._simple("ROLLBACK")

    async def commit(self) -> None:
        await self._simple("COMMIT")

    async def _simple(self, message: str) -> None:
        try:
            await self.connection.execute(message)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise as_sqlalchemy_error(exc, self.dialect, message, ()) from exc


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[Transaction]:
    """A pooled connection's driver connection, for one batch. Whatever the batch leaves open
    is rolled back; a connection that cannot even do that is dropped from the pool."""
    async with engine.connect() as connection:
        fairy = await connection.get_raw_connection()
        driver: asyncpg.Connection = fairy.driver_connection
        try:
            yield Transaction(driver, engine.dialect)
        except BaseException:
            if driver.is_closed():
                await connection.invalidate()
            elif driver.is_in_transaction():
                try:
                    await driver.execute("ROLLBACK")
                except Exception:
                    await connection.invalidate()
            raise
