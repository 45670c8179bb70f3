"""Turn the URL a user writes into the URL SQLAlchemy needs: the driver is our business."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url


def async_url(database_url: str) -> URL:
    """``sqlite:///x.db`` → aiosqlite, ``postgresql://`` (or ``postgres://``) → asyncpg."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database URL {database_url!r}: use sqlite:/// or postgresql://")


def is_sqlite(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder of a SQLite file so a first run needs no setup."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
