"""A report is read without the database's write lock: a company asking for a long report
holds up no one's lead posts, imports or worker rounds, and is not held up by them.

On SQLite the API's transactions begin ``IMMEDIATE`` (the one write lock); a report used to
take that lock for as long as it read. Here another writer holds the database mid-transaction
(as an import or the worker does) and the report still answers at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from leadflow.db.engine import create_engine
from leadflow.settings import Settings
from tests.reports.conftest import Shop


async def test_a_report_answers_while_another_writer_holds_the_database(
    shop: Shop, settings: Settings
) -> None:
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")
    await shop.report()  # the key pair verified and cached, as for any caller that came before
    writer = create_engine(settings.database_url, pool_size=1)
    try:
        async with writer.begin() as held:
            if writer.dialect.name == "postgresql":
                # Writers wait on this lock, readers do not.
                await held.execute(text("LOCK TABLE leads, report_counters IN EXCLUSIVE MODE"))
            else:
                # BEGIN IMMEDIATE: the write lock, as an import's batch holds it.
                await held.execute(text("SELECT 1 FROM leads LIMIT 1"))
            for grouping in ("traffic_source,sub_id", "day", "state"):
                body = await asyncio.wait_for(
                    shop.report(group_by=grouping, metrics="leads"), timeout=5
                )
                assert body["report"]["totals"]["leads"] == 1, grouping
    finally:
        await writer.dispose()
