"""Every JSON and boolean column of every table reads back through ``Sql`` as the Python value
that was written, on both engines, whichever side wrote it.

Generated from the ORM metadata: a table that gains a JSON or boolean column is covered without
touching this file. Each table gets two rows: one written by SQLAlchemy Core (the ORM's own
encoding: JSON text on SQLite, JSONB on PostgreSQL), one written by ``Sql`` itself. Both are read
back through ``Sql.one`` and ``Sql.all`` (on SQLite over a SQLAlchemy connection and over the raw
``sqlite3`` connection the group commit uses) and through Core. Foreign keys are switched off:
the rows are about their column values, not their parents.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import sqlalchemy
from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, String, Table, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

import leadflow.models  # noqa: F401  (every table in the metadata)
from leadflow.contacts.repository import ContactRow
from leadflow.db.engine import connect_sqlite, create_engine
from leadflow.db.statements import AMBIGUOUS_COLUMNS, ConnectionSql, Sql, SqliteSql
from leadflow.models.base import Base
from leadflow.settings import Settings

NOW = datetime(2026, 12, 6, 7, 0, 0, 123456, tzinfo=UTC)
# Nesting, a non-ASCII string, null, a float, and booleans inside: what text-vs-value or
# 1-vs-True confusion would change.
JSON_VALUES: tuple[Any, Any] = (
    {"nested": {"list": [1, "two", None, True, 2.5]}, "text": "é ✓", "empty": {}},
    [{"flag": False, "n": 0}, "x", []],
)


def _decoded(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON | Boolean)


TABLES = sorted(t.name for t in Base.metadata.tables.values() if any(map(_decoded, t.columns)))


def _value(column: Column[Any], index: int) -> Any:
    """Row ``index``'s value for ``column``: distinct per row, so unique keys hold."""
    kind = column.type
    if isinstance(kind, JSON):
        return JSON_VALUES[index]
    if isinstance(kind, Boolean):
        return index == 0
    if isinstance(getattr(kind, "impl", kind), DateTime):
        return NOW + timedelta(seconds=index)
    if isinstance(kind, Integer):
        return index + 1
    if isinstance(kind, Float):
        return index + 0.5
    if isinstance(kind, String):
        return str(index + 1)
    raise AssertionError(f"no sample value for {column.table.name}.{column.name}: {kind!r}")


def _same(actual: Any, expected: Any) -> bool:
    """Equal, and of the same types all the way down (``1 == True`` in Python; JSONB orders
    keys its own way)."""
    if isinstance(expected, bool):
        return actual is expected
    return bool(
        orjson.dumps(actual, option=orjson.OPT_SORT_KEYS)
        == orjson.dumps(expected, option=orjson.OPT_SORT_KEYS)
    )


def _check(sync: Connection, readers: list[Sql], table: Table) -> None:
    rows = [{c.name: _value(c, i) for c in table.columns} for i in range(2)]
    sync.execute(table.insert(), rows[0])
    names = [c.name for c in table.columns]
    quoted = ", ".join(f'"{n}"' for n in names)
    params = ", ".join(f":{n}" for n in names)
    readers[0].run(f"INSERT INTO {table.name} ({quoted}) VALUES ({params})", **rows[1])
    decoded = [c.name for c in table.columns if _decoded(c)]
    key = [c.name for c in table.primary_key]
    listed = ", ".join(f'"{n}"' for n in decoded)
    order = ", ".join(f'"{n}"' for n in key)
    for reader in readers:
        found_all = reader.all(f"SELECT {listed} FROM {table.name} ORDER BY {order}")
        for index, expected in enumerate(rows):
            where = " AND ".join(f'"{n}" = :{n}' for n in key)
            found_one = reader.one(
                f"SELECT {listed} FROM {table.name} WHERE {where}",
                **{n: expected[n] for n in key},
            )
            assert found_one is not None
            written_by = ("SQLAlchemy", "Sql")[index]
            for name in decoded:
                for how, found in (("one", found_one), ("all", found_all[index])):
                    assert _same(found[name], expected[name]), (
                        f"{table.name}.{name} written by {written_by}, read by"
                        f" {type(reader).__name__}.{how}: {found[name]!r},"
                        f" expected {expected[name]!r}"
                    )
    through_core = sync.execute(
        select(*(table.c[n] for n in decoded)).order_by(*(table.c[n] for n in key))
    ).all()
    for index, expected in enumerate(rows):
        for name, found in zip(decoded, through_core[index], strict=True):
            assert _same(found, expected[name]), f"{table.name}.{name} read by SQLAlchemy"


@contextmanager
def _sqlite_connection(database_url: str) -> Iterator[tuple[Connection, list[Sql]]]:
    """SQLAlchemy and the raw ``SqliteSql`` on one ``sqlite3`` connection, foreign keys off."""
    raw = connect_sqlite(make_url(database_url).database or "")
    raw.execute("PRAGMA foreign_keys=OFF")
    engine = sqlalchemy.create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
    try:
        with engine.connect() as sync:
            yield sync, [ConnectionSql(sync), SqliteSql(raw)]
    finally:
        engine.dispose()
        raw.close()


@pytest.mark.parametrize("table_name", TABLES)
async def test_json_and_boolean_columns_read_back_through_sql_as_written(
    settings: Settings, table_name: str
) -> None:
    table = Base.metadata.tables[table_name]
    if settings.database_url.startswith("sqlite"):
        with _sqlite_connection(settings.database_url) as (sync, readers):
            _check(sync, readers, table)
        return
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:

            def check(sync: Connection) -> None:
                # Foreign keys are triggers on PostgreSQL: a replica session fires none.
                sync.exec_driver_sql("SET LOCAL session_replication_role = replica")
                _check(sync, [ConnectionSql(sync)], table)

            await connection.run_sync(check)
            await connection.rollback()
    finally:
        await engine.dispose()


def test_no_column_name_is_json_or_boolean_in_one_table_and_not_in_another() -> None:
    """``Sql`` decodes SQLite rows by column name (see ``leadflow.db.statements``): a name
    that meant two things would be decoded in neither table. Rename the new column."""
    assert not AMBIGUOUS_COLUMNS, sorted(AMBIGUOUS_COLUMNS)


def test_every_table_with_json_or_boolean_columns_is_covered() -> None:
    """The sample values above know every column type these tables use."""
    for name in TABLES:
        for column in Base.metadata.tables[name].columns:
            _value(column, 0)


def test_typed_rows_name_every_column_of_their_table() -> None:
    """A ``SELECT *`` row typed as a TypedDict: a column added to the table must be added to
    the type, or the type lies about what the row holds."""
    typed = {"contacts": ContactRow}
    for table, row_type in typed.items():
        assert set(row_type.__annotations__) == set(Base.metadata.tables[table].columns.keys())
