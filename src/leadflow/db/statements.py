"""Plain SQL for the hot paths, one text for both engines.

SQLAlchemy Core costs ~100 µs of Python per statement to build, key and bind; the intake path
runs four or five statements per lead, which would cost more than everything else in a request
together. Here a statement is a string with ``:name`` parameters, prepared once: SQLite takes it
as it is, PostgreSQL gets it rewritten to ``$1, $2``. Values are encoded the way the ORM's own
column types store them (JSON as text, UTC timestamps as SQLite's ``YYYY-MM-DD HH:MM:SS.ffffff``)
so rows written here read back through the ORM unchanged, and the other way round.

Reading, PostgreSQL's driver decodes JSON and booleans itself. SQLite hands back JSON as text
and booleans as 0/1, so its rows are decoded here, by column name, from the tables' own column
types: :data:`JSON_COLUMNS` and :data:`BOOL_COLUMNS` are every column the ORM metadata
(``leadflow.models``) declares as ``JSON`` or ``Boolean``, so a new column is decoded the day it
is added, with no list to remember. By name, not by table: neither ``sqlite3`` nor SQLAlchemy
says which table a result column came from, and working it out from the statement's text would
cost more than the rest of the decoding. That is only sound while no name means two things, so
a name that is JSON or boolean in one table and anything else in another is decoded in neither
and listed in :data:`AMBIGUOUS_COLUMNS`, which ``tests/db/test_row_decoding.py`` requires to be
empty (rename the new column instead). A column read under an alias (``s.paused AS
target_paused``) is not decoded: alias it to its own name, or convert at the call site. Times
are still recognised by their ``_at`` suffix, which also covers aggregates such as
``max(created_at) AS last_at``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import orjson
from sqlalchemy import JSON, Boolean
from sqlalchemy.engine import Connection

import leadflow.models  # noqa: F401  (every table in the metadata read below)
from leadflow.models.base import Base

_PARAM = re.compile(r"(?<![:\w]):([a-zA-Z_]\w*)")


def _decoded_columns() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """JSON names, boolean names and ambiguous names, read from the ORM metadata."""
    kinds: dict[str, set[str]] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            kind = (
                "json"
                if isinstance(column.type, JSON)
                else "bool"
                if isinstance(column.type, Boolean)
                else "other"
            )
            kinds.setdefault(column.name, set()).add(kind)
    ambiguous = frozenset(
        name for name, found in kinds.items() if len(found) > 1 and found != {"other"}
    )
    json_names = frozenset(n for n, k in kinds.items() if k == {"json"})
    bool_names = frozenset(n for n, k in kinds.items() if k == {"bool"})
    return json_names, bool_names, ambiguous


JSON_COLUMNS, BOOL_COLUMNS, AMBIGUOUS_COLUMNS = _decoded_columns()
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

Row = dict[str, Any]


class Sql(Protocol):
    """What hot-path repository functions need from a connection: run SQL, get dict rows."""

    dialect: str
    memo: dict[Any, Any]
    """Reads that nothing written through this connection changes (the company's webhook
    subscriptions, say), remembered for as long as this object lives: one transaction, or one
    group-commit batch, where every unit would otherwise ask again."""

    def one(self, statement: str, **params: Any) -> Row | None: ...

    def all(self, statement: str, **params: Any) -> list[Row]: ...

    def run(self, statement: str, **params: Any) -> int: ...

    def many(self, statement: str, rows: Sequence[dict[str, Any]]) -> None:
        """One statement over many rows of parameters (an ``executemany``): a batch of
        inserts pays the statement's parsing and the driver's call once. On SQLite a plain
        ``INSERT … VALUES (…)`` goes as a few statements of many rows each
        (:func:`values_inserts`). Either way the rows are written in order, and a refused row
        raises with none of the rows after it written (some before it may be: the caller's
        transaction decides what stays)."""
        ...


@lru_cache(maxsize=512)
def _numbered(statement: str) -> tuple[str, tuple[str, ...]]:
    """``:name`` → ``$n`` for asyncpg, with the order in which to pass the values."""
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAM.sub(replace, statement), tuple(names)


_PLAIN = (str, int, float, type(None), bool)
_PLAIN_TYPES = frozenset(_PLAIN)


class InsertStatement(NamedTuple):
    """``INSERT INTO table (columns) VALUES row``, taken apart."""

    table: str
    columns: str
    row: str
    """The values' tuple with ``?`` for each parameter: ``(?, 'test', ?)``."""
    names: tuple[str, ...]
    """The parameters in the order of their ``?``, a repeated one repeated."""


_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\) VALUES (\(.*\))", re.DOTALL)


@lru_cache(maxsize=64)
def insert_statement(statement: str) -> InsertStatement | None:
    """The parts of a plain ``INSERT … VALUES (…)``; None for anything more (``ON CONFLICT``,
    ``RETURNING``, ``SELECT``)."""
    found = _INSERT.fullmatch(statement)
    if found is None or ";" in found.group(3):
        return None
    row = found.group(3)
    return InsertStatement(
        found.group(1), found.group(2), _PARAM.sub("?", row), tuple(_PARAM.findall(row))
    )


ROWS_PER_INSERT = 512
"""The most rows :func:`values_inserts` puts in one statement."""

SQLITE_VARIABLES = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
"""The most parameters one statement takes, in the SQLite library this process runs."""


def values_inserts(
    insert: InsertStatement, rows: Sequence[dict[str, Any]]
) -> Iterator[tuple[str, list[Any]]]:
    """A plain insert of ``rows`` as statements of many rows each, with their parameters.

    ``executemany`` runs the statement once a row, and SQLite opens a statement journal for
    each run of an insert that may fire a trigger: every page the row changes is copied to it
    first, the trigger's work or not. The ``leads`` table has two such triggers, which cost a
    lead's insert 6 µs of its 14 (``bench.import``, a million rows). One statement of many
    rows copies each page once. Statements hold a power of two of rows, so that a table has a
    handful of statement texts, not one for every batch size, to prepare and cache."""
    per = max(1, min(ROWS_PER_INSERT, SQLITE_VARIABLES // max(1, len(insert.names))))
    per = 1 << (per.bit_length() - 1)
    start = 0
    while start < len(rows):
        size = min(per, 1 << ((len(rows) - start).bit_length() - 1))
        chunk = rows[start : start + size]
        values = [
            v if type(v) in _PLAIN_TYPES else _encode(v, sqlite=True)
            for row in chunk
            for v in map(row.__getitem__, insert.names)
        ]
        yield _many_rows(insert, size), values
        start += size


@lru_cache(maxsize=256)
def _many_rows(insert: InsertStatement, size: int) -> str:
    rows = ", ".join([insert.row] * size)
    return f"INSERT INTO {insert.table} ({insert.columns}) VALUES {rows}"


def _encode(value: Any, *, sqlite: bool) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, datetime):
        if not sqlite:
            return value.astimezone(UTC)
        return sqlite_time(value)
    return value


_last_time: tuple[datetime | None, str] = (None, "")


def sqlite_time(value: datetime) -> str:
    """A time as SQLite rows store it. A lead's post writes one instant four times (created,
    updated, next action, its event): the last one encoded is remembered."""
    global _last_time
    last, text = _last_time
    if value is last:
        return text
    if value.tzinfo is UTC:  # the clock's own: the text without its "+00:00"
        text = value.isoformat(" ", "microseconds")[:-6]
    else:
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_time = (value, text)
    return text


def _decode_sqlite(row: Row) -> Row:
    for key, value in row.items():
        if value is None:
            continue
        if key in JSON_COLUMNS and isinstance(value, str | bytes):
            row[key] = orjson.loads(value)
        elif key in BOOL_COLUMNS:
            row[key] = bool(value)
        elif key.endswith("_at") and isinstance(value, str):
            row[key] = utc_time(value)
    return row


def utc_time(text: str) -> datetime:
    """A stored UTC time. Parsing it with its offset spelled out is some fifteen times cheaper
    than parsing it naive and replacing the zone, and rows carry several of these."""
    if len(text) >= 19 and text[-6] not in "+-" and text[-1] != "Z":
        return datetime.fromisoformat(text + "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SqliteSql:
    """On a raw ``sqlite3`` connection: no thread hop per statement, the batch runs in one."""

    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.memo: dict[Any, Any] = {}

    def _execute(self, statement: str, params: dict[str, Any]) -> sqlite3.Cursor:
        # Most values bind as they are: a set look-up of their exact type skips the rest.
        encoded = {
            k: v if type(v) in _PLAIN_TYPES else _encode(v, sqlite=True) for k, v in params.items()
        }
        return self.connection.execute(statement, encoded)

    def one(self, statement: str, **params: Any) -> Row | None:
        cursor = self._execute(statement, params)
        found = cursor.fetchone()
        if found is None:
            return None
        names = [column[0] for column in cursor.description]
        return _decode_sqlite(dict(zip(names, found, strict=True)))

    def all(self, statement: str, **params: Any) -> list[Row]:
        cursor = self._execute(statement, params)
        names = [column[0] for column in cursor.description]
        return [_decode_sqlite(dict(zip(names, r, strict=True))) for r in cursor.fetchall()]

    def run(self, statement: str, **params: Any) -> int:
        return self._execute(statement, params).rowcount

    def many(self, statement: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        insert = insert_statement(statement)
        if insert is not None:
            for text, values in values_inserts(insert, rows):
                self.connection.execute(text, values)
            return
        self.connection.executemany(
            statement,
            [
                {k: v if type(v) in _PLAIN_TYPES else _encode(v, sqlite=True) for k, v in r.items()}
                for r in rows
            ],
        )


class ConnectionSql:
    """On a SQLAlchemy sync ``Connection`` (inside ``run_sync``): the PostgreSQL batch path, and
    any caller that already holds a connection of either engine (tests, tools)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.memo: dict[Any, Any] = {}
        self.dialect = connection.dialect.name
        self._sqlite = self.dialect == "sqlite"

    def _execute(self, statement: str, params: dict[str, Any]) -> Any:
        if self._sqlite:
            encoded = {k: _encode(v, sqlite=True) for k, v in params.items()}
            return self.connection.exec_driver_sql(statement, encoded)
        text, names = _numbered(statement)
        values = tuple(_encode(params[name], sqlite=False) for name in names)
        return self.connection.exec_driver_sql(text, values)

    def _row(self, found: Any) -> Row:
        row = dict(found)
        return _decode_sqlite(row) if self._sqlite else row

    def one(self, statement: str, **params: Any) -> Row | None:
        found = self._execute(statement, params).mappings().first()
        return self._row(found) if found is not None else None

    def all(self, statement: str, **params: Any) -> list[Row]:
        return [self._row(r) for r in self._execute(statement, params).mappings().all()]

    def run(self, statement: str, **params: Any) -> int:
        return int(self._execute(statement, params).rowcount)

    def many(self, statement: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._sqlite:
            insert = insert_statement(statement)
            if insert is not None:
                for text, values in values_inserts(insert, rows):
                    self.connection.exec_driver_sql(text, tuple(values))
                return
            encoded = [{k: _encode(v, sqlite=True) for k, v in r.items()} for r in rows]
            self.connection.exec_driver_sql(statement, encoded)
            return
        text, names = _numbered(statement)
        values = [tuple(_encode(r[name], sqlite=False) for name in names) for r in rows]
        self.connection.exec_driver_sql(text, values)
