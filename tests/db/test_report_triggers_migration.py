"""Migration 0018 swaps PostgreSQL's hot report triggers from per row to per statement, and
its downgrade swaps them back: either way every lead insert and counter change is counted by
exactly one trigger. Migration 0019 has SQLite's lead insert triggers stand aside while a
batch counts its own leads, and its downgrade takes the guard away with its table."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from sqlalchemy import text

from leadflow.db.engine import create_engine
from leadflow.db.migrate import alembic_config, upgrade
from tests.support.cli import empty_database

HOT = ("leads", "report_counters")


async def _report_triggers(url: str) -> set[tuple[str, str, str]]:
    """(table, trigger, ROW or STATEMENT) of the insert and update triggers on the hot tables."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT c.relname, t.tgname, "
                    "CASE WHEN t.tgtype & 1 = 1 THEN 'ROW' ELSE 'STATEMENT' END "
                    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname LIKE 'report%' AND c.relname = ANY(:tables) "
                    "AND (t.tgtype & 4 = 4 OR t.tgtype & 16 = 16 AND c.relname = 'report_counters')"
                ),
                {"tables": list(HOT)},
            )
            return {(r[0], r[1], r[2]) for r in rows}
    finally:
        await engine.dispose()


async def test_downgrade_puts_the_row_triggers_back(
    tmp_path: Path, postgres_server: str | None
) -> None:
    url = await empty_database("postgresql", tmp_path, postgres_server)
    upgrade(url)
    assert await _report_triggers(url) == {
        ("leads", "report_leads_insert_statement", "STATEMENT"),
        ("report_counters", "report_totals_insert_statement", "STATEMENT"),
        ("report_counters", "report_totals_update_statement", "STATEMENT"),
        # Migration 0021's roll-up by traffic source and sub ID, per statement too.
        ("report_counters", "report_source_blocks_insert", "STATEMENT"),
        ("report_counters", "report_source_blocks_update", "STATEMENT"),
    }
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0017")
    assert await _report_triggers(url) == {
        ("leads", "report_leads_insert", "ROW"),
        ("report_counters", "report_totals_insert", "ROW"),
        ("report_counters", "report_totals_update", "ROW"),
    }
    upgrade(url)
    assert {kind for _table, _name, kind in await _report_triggers(url)} == {"STATEMENT"}


async def _guarded_sqlite_triggers(url: str) -> tuple[set[str], bool]:
    """The insert triggers on ``leads`` that stand aside for a batch, and whether the table
    that says so exists."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'leads' AND sql LIKE '%AFTER INSERT%'"
                )
            )
            guarded = {name for name, sql in rows if "lead_batch_inserts" in sql}
            table = await conn.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'lead_batch_inserts'")
            )
            return guarded, bool(table)
    finally:
        await engine.dispose()


async def test_sqlite_insert_triggers_stand_aside_for_a_batch_until_downgraded(
    tmp_path: Path,
) -> None:
    """Migration 0019's guard on SQLite's lead insert triggers, and its downgrade, which must
    not leave a trigger naming the table it drops (every insert would then fail)."""
    url = await empty_database("sqlite", tmp_path, None)
    upgrade(url)
    guarded = {"report_leads_insert", "leads_count_insert"}
    assert await _guarded_sqlite_triggers(url) == (guarded, True)
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0018")
    assert await _guarded_sqlite_triggers(url) == (set(), False)
    upgrade(url)
    assert await _guarded_sqlite_triggers(url) == (guarded, True)
