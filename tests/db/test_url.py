"""The URL a user writes picks the engine; the driver behind it is ours to choose."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from leadflow.db.engine import create_engine
from leadflow.db.url import async_url, is_sqlite


def test_postgresql_url_is_served_by_asyncpg() -> None:
    url = async_url("postgresql://user:pass@db.example.com:6543/leads")
    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "user",
        "pass",
        "db.example.com",
        6543,
        "leads",
    )


def test_short_postgres_scheme_is_accepted() -> None:
    assert async_url("postgres://user@host/db").drivername == "postgresql+asyncpg"


def test_a_sync_driver_named_by_the_user_is_replaced() -> None:
    assert async_url("postgresql+psycopg2://user@host/db").drivername == "postgresql+asyncpg"


def test_libpq_sslmode_becomes_asyncpg_ssl() -> None:
    url = async_url("postgresql://user@host/db?sslmode=require&application_name=lf")
    assert dict(url.query) == {"ssl": "require", "application_name": "lf"}


def test_sqlite_path_is_served_by_aiosqlite() -> None:
    relative = async_url("sqlite:///var/leadflow.db")
    absolute = async_url("sqlite:////srv/leadflow/leadflow.db")
    assert relative.drivername == absolute.drivername == "sqlite+aiosqlite"
    assert relative.database == "var/leadflow.db"
    assert absolute.database == "/srv/leadflow/leadflow.db"


def test_sqlite_urls_are_recognised() -> None:
    assert is_sqlite("sqlite:///var/leadflow.db")
    assert not is_sqlite("postgresql://user@host/db")
    assert not is_sqlite("postgres://user@host/db")


@pytest.mark.parametrize("url", ["mysql://user@host/db", "oracle://user@host/db"])
def test_other_databases_are_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(ValueError, match=r"use sqlite:/// or postgresql://"):
        async_url(url)


async def test_sslmode_url_connects_to_a_real_postgresql(postgres_server: str | None) -> None:
    if postgres_server is None:
        pytest.skip("PostgreSQL is not available")
    engine = create_engine(postgres_server + "?sslmode=disable", pool_size=1)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
