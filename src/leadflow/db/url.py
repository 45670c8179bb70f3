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
        return _libpq_options_for_asyncpg(url.set(drivername="postgresql+asyncpg"))
    raise ValueError(f"unsupported database URL {database_url!r}: use sqlite:/// or postgresql://")


def is_sqlite(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder of a SQLite file so a first run needs no setup."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _libpq_options_for_asyncpg(url: URL) -> URL:
    """URLs copied from a hosting panel carry libpq's ``sslmode``; asyncpg calls it ``ssl``
    (same values: disable, allow, prefer, require, verify-ca, verify-full)."""
    mode = url.query.get("sslmode")
    if mode is None:
        return url
    url = url.difference_update_query(["sslmode"])
    return url if "ssl" in url.query else url.update_query_dict({"ssl": mode})
