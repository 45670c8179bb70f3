"""Alembic environment: runs on the same async engines as the service, batch mode for SQLite."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from leadflow.db.engine import create_engine
from leadflow.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    # Migrations run before the lead search index exists, and index what they write.
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", index_leads=False)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `leadflow db upgrade`")
asyncio.run(_run_async())
