"""The Alembic chain: one straight line, and at its head exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from leadflow.db.engine import create_engine
from leadflow.db.migrate import revisions, upgrade
from leadflow.kit.fulltext import FULLTEXT_OBJECTS
from leadflow.models import Base
from tests.support.cli import empty_database


def _all_revisions() -> list[Script]:
    return list(revisions().walk_revisions())


def test_migration_chain_has_one_head() -> None:
    assert len(revisions().get_heads()) == 1


def test_every_revision_has_at_most_one_parent() -> None:
    for script in _all_revisions():
        assert script.down_revision is None or isinstance(script.down_revision, str), (
            f"{script.revision} merges {script.down_revision}"
        )


def test_chain_runs_straight_from_base_to_head() -> None:
    scripts = {s.revision: s for s in _all_revisions()}
    (base,) = [s for s in scripts.values() if s.down_revision is None]
    walked = [revisions().get_current_head()]
    while scripts[walked[-1]].down_revision is not None:
        walked.append(scripts[walked[-1]].down_revision)  # type: ignore[arg-type]
    assert walked[-1] == base.revision
    assert sorted(walked) == sorted(scripts), "some revision is off the main line"


def _only_modelled(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Compare what the models declare; tables only the migrations know (alembic_version)
    are the migration tool's business, and so is the lead search index (an FTS5 table and its
    shadow tables on SQLite, an expression index on PostgreSQL), which no model describes."""
    if name is not None and any(name.startswith(kept) for kept in FULLTEXT_OBJECTS):
        return False
    return not (type_ == "table" and reflected and compare_to is None)


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": False,
            "include_object": _only_modelled,
            "render_as_batch": True,
        },
    )
    return list(compare_metadata(context, Base.metadata))


@pytest.fixture(params=["sqlite", "postgresql"])
async def upgraded_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> str:
    url = await empty_database(request.param, tmp_path, postgres_server)
    upgrade(url)
    return url


async def test_upgrade_head_on_an_empty_database_matches_the_models(upgraded_url: str) -> None:
    engine = create_engine(upgraded_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_schema_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def _pragma(database_url: str, name: str) -> object:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(f"PRAGMA {name}"))
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    assert await _pragma(url, "journal_mode") == "wal"


async def test_sqlite_app_connections_enforce_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    assert await _pragma(url, "foreign_keys") == 1
    engine = create_engine(url)
    try:
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO offers (company_id, name, description, leads_api_key, uuid,"
                        " created_at, updated_at) VALUES (4242, 'x', '', 'k', 'u',"
                        " '2026-01-05 15:00:00', '2026-01-05 15:00:00')"
                    )
                )
    finally:
        await engine.dispose()


async def test_sqlite_file_and_folder_are_created_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'not' / 'yet' / 'there.db'}"
    upgrade(url)
    assert (tmp_path / "not" / "yet" / "there.db").exists()
