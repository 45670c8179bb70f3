"""Engine construction for both engines, with the per-connection settings each one needs."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from leadflow.db.search_index import index_new_leads_before_commit
from leadflow.db.url import async_url, ensure_sqlite_directory, is_sqlite

# NORMAL in WAL mode survives a crash of the process (kill -9); only a power cut can lose the
# last transactions, which FULL would add an fsync per commit for. A log that starts over is
# truncated to what it holds (journal_size_limit=0): its size then tells how much it holds,
# which db.checkpoints reads.
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    "busy_timeout=10000",
    "journal_size_limit=0",
)


def connect_sqlite(path: str, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """A raw ``sqlite3`` connection (no implicit transactions) with every pragma the engine's
    own connections get: for the paths that bypass SQLAlchemy (group commit, snapshots)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


def create_engine(
    database_url: str, pool_size: int = 10, *, index_leads: bool = True
) -> AsyncEngine:
    """One engine per process, built when the app starts, never at import time.

    ``index_leads=False`` is for migrations, which run before the search index exists."""
    if is_sqlite(database_url):
        return _sqlite_engine(database_url, index_leads)
    return create_async_engine(
        async_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
    )


def _sqlite_engine(database_url: str, index_leads: bool) -> AsyncEngine:
    """SQLite has one writer: a single connection per process serialises writes without
    SQLITE_BUSY surprises, and ``BEGIN IMMEDIATE`` makes read-then-write transactions safe
    against a second process (a separate ``leadflow worker``)."""
    ensure_sqlite_directory(database_url)
    engine = _sqlite_connections(database_url, 1, SQLITE_PRAGMAS, "BEGIN IMMEDIATE")
    if index_leads:
        # Leads this transaction wrote become searchable in it (see db.search_index).
        event.listen(engine.sync_engine, "commit", index_new_leads_before_commit)
    return engine


def create_read_engine(database_url: str) -> AsyncEngine | None:
    """SQLite: connections for reads that may take a while (reports), whose transactions are
    deferred and read-only. The API's engine begins every transaction ``IMMEDIATE``, taking the
    database's one write lock, so a report read there held it, and every lead post, import and
    worker round waited, for as long as the report took; it also held the API's one pooled
    connection. In WAL mode a reader waits for no writer and no writer for it. PostgreSQL:
    ``None`` (its readers never block writers; the API's engine serves)."""
    if not is_sqlite(database_url):
        return None
    return _sqlite_connections(database_url, 2, (*SQLITE_PRAGMAS, "query_only=ON"), "BEGIN")


def _sqlite_connections(
    database_url: str, pool_size: int, pragmas: tuple[str, ...], begin: str
) -> AsyncEngine:
    """An engine of ``pool_size`` connections, each set up with ``pragmas``, whose transactions
    start with ``begin``."""
    engine = create_async_engine(
        async_url(database_url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"check_same_thread": False},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``. Here rather than with the request's session (``db.session``),
    which needs FastAPI: the command-line tools open sessions too, and importing FastAPI cost
    each ``leadflow`` command about 0.4 s."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
