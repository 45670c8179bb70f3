"""Another writer holding the database mid-transaction, as an import's batch or the worker
does: what a read that must not wait for writers is checked against."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from leadflow.db.engine import create_engine


@asynccontextmanager
async def write_lock_held(database_url: str, *tables: str) -> AsyncIterator[None]:
    """SQLite: the one write lock (the engine begins ``IMMEDIATE``). PostgreSQL: ``tables``
    locked in ``EXCLUSIVE`` mode, which writers wait on and readers do not."""
    writer = create_engine(database_url, pool_size=1)
    try:
        async with writer.begin() as held:
            if writer.dialect.name == "postgresql":
                await held.execute(text(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE"))
            else:
                await held.execute(text(f"SELECT 1 FROM {tables[0]} LIMIT 1"))
            yield
    finally:
        await writer.dispose()
