"""A report is read without the database's write lock: a company asking for a long report
holds up no one's lead posts, imports or worker rounds, and is not held up by them.

On SQLite the API's transactions begin ``IMMEDIATE`` (the one write lock); a report used to
take that lock for as long as it read. Here another writer holds the database mid-transaction
(as an import or the worker does) and the report still answers at once."""

from __future__ import annotations

import asyncio

from leadflow.settings import Settings
from tests.reports.conftest import Shop
from tests.support.write_lock import write_lock_held


async def test_a_report_answers_while_another_writer_holds_the_database(
    shop: Shop, settings: Settings
) -> None:
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")
    await shop.report()  # the new lead folded, as a report before this one would have
    async with write_lock_held(settings.database_url, "leads", "report_counters"):
        for grouping in ("traffic_source,sub_id", "day", "state"):
            body = await asyncio.wait_for(
                shop.report(group_by=grouping, metrics="leads"), timeout=5
            )
            assert body["report"]["totals"]["leads"] == 1, grouping
