"""``leadflow db backup`` and ``leadflow db restore``, one command on either engine.

- **SQLite** uses the engine's online backup API: the copy is one read transaction, so it is a
  consistent picture of the database at one instant while the API and worker keep writing (in
  WAL mode a reader holds up no writer). It is written beside the target and renamed into
  place, so a backup that fails never leaves half a file under the name asked for.
- **PostgreSQL** is ``pg_dump --format=custom`` (also one snapshot) and ``pg_restore`` in a
  single transaction, so a restore that fails leaves the database as it was. Continuous
  archiving and point-in-time recovery are PostgreSQL's own; docs/operations.md says how.

The password never goes on a command line (other users of the machine can read those): it is
handed to ``pg_dump`` through ``PGPASSWORD``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from leadflow.db.engine import connect_sqlite
from leadflow.db.url import is_sqlite

POSTGRES_BIN_DIRS = ("/usr/lib/postgresql",)
"""Where Debian and Ubuntu install the server's client tools, one folder per major version,
when they are not on ``PATH``."""


SQLITE_SUFFIXES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, for the operator."""


@dataclass(frozen=True)
class PostgresTarget:
    """What ``pg_dump`` and ``pg_restore`` need: a libpq URL without the password, and the
    environment that carries the password."""

    url: str
    env: dict[str, str]


def backup(database_url: str, path: Path) -> None:
    """Write a consistent copy of the database to ``path`` (replaced if it exists)."""
    path = path.resolve()
    if path.is_dir():
        raise BackupError(f"{path} is a directory: name the file to write")
    source = _sqlite_source(database_url) if is_sqlite(database_url) else None
    if source is not None and _same_database(source, path):
        raise BackupError(f"{path} is the database itself: write the backup elsewhere")
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if source is not None:
            _sqlite_copy(str(source), partial)
        else:
            target = postgres_target(database_url)
            dump = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial)]
            _run([*dump, "--dbname", target.url], target)
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot write {path}: {exc}") from None
    finally:
        with contextlib.suppress(OSError):  # a folder that could not be made has no partial
            partial.unlink(missing_ok=True)


def _sqlite_source(database_url: str) -> Path:
    """The database file to copy; a missing one is an error (a mistyped URL would otherwise
    make, and back up, a new empty database)."""
    source = Path(_sqlite_path(database_url)).resolve()
    if not source.is_file():
        raise BackupError(f"no database at {source} (LEADFLOW_DATABASE_URL)")
    return source


def _same_database(database: Path, path: Path) -> bool:
    """Whether ``path`` is the live database or one of its companion files: replacing those
    under a running server would corrupt it."""
    companions = {database, *(database.with_name(database.name + s) for s in SQLITE_SUFFIXES)}
    return path in companions or (
        path.exists() and any(c.exists() and path.samefile(c) for c in companions)
    )


def restore(database_url: str, path: Path) -> None:
    """Replace everything in the database with the backup at ``path``.

    Stop the API and workers first: on SQLite the copy takes the write lock, and rows a process
    wrote meanwhile would be lost either way."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    if is_sqlite(database_url):
        _check_sqlite_backup(path)
        live = Path(_sqlite_path(database_url))
        if _same_database(live.resolve(), path.resolve()):
            raise BackupError(f"{path} is the database itself, not a backup of it")
        try:
            live.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(str(path), live)
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"cannot write {live}: {exc}") from None
        return
    target = postgres_target(database_url)
    load = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner"]
    load += ["--single-transaction", "--exit-on-error", "--dbname", target.url, str(path)]
    _run(load, target)


def _sqlite_path(database_url: str) -> str:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return database


def _sqlite_copy(source: str, target: Path) -> None:
    """SQLite's online backup API, every page in one step (one read transaction: a consistent
    copy, however busy the source is). The target may be a live database: SQLite writes it
    under its own write lock, WAL included."""
    src = connect_sqlite(source)
    try:
        dst = sqlite3.connect(str(target), isolation_level=None)
        try:
            dst.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _check_sqlite_backup(path: Path) -> None:
    """Refuse what is not a sound SQLite database of Leadflow's, before anything is
    overwritten: any other SQLite file would replace the data with nothing, then migrate that
    to an empty Leadflow database."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()
            ours = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if verdict is None or verdict[0] != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")
    if ours is None:
        raise BackupError(f"{path} is a SQLite database, but not a Leadflow backup")


def postgres_target(database_url: str) -> PostgresTarget:
    """The URL as libpq reads it (no driver name, no password) and ``PGPASSWORD`` for it."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return PostgresTarget(plain.render_as_string(hide_password=False), env)


def _pg_tool(name: str) -> str:
    """``name`` from ``PATH``, else from the newest server version installed."""
    found = shutil.which(name)
    if found:
        return found
    for base in POSTGRES_BIN_DIRS:
        versions = sorted(Path(base).glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
        for directory in versions:
            if (directory / name).is_file():
                return str(directory / name)
    raise BackupError(f"{name} was not found: install PostgreSQL's client tools")


def _run(command: list[str], target: PostgresTarget) -> None:
    result = subprocess.run(command, env=target.env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")
