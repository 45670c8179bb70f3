"""Test databases: one migrated template per engine per session, a clean copy per test."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import text

from leadflow.db.engine import create_engine
from leadflow.db.migrate import upgrade
from leadflow.models import Base


async def create_postgres_database(server_url: str, name: str) -> str:
    conn = await asyncpg.connect(server_url.replace("postgresql://", "postgres://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def migrated_sqlite_template(directory: Path) -> Path:
    template = directory / "template.db"
    upgrade(f"sqlite:///{template}")
    return template


def fresh_sqlite(template: Path, directory: Path) -> str:
    target = directory / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


async def truncate_postgres(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
