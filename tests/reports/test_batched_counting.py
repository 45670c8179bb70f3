"""A batch of leads (one multi-row INSERT, as PostgreSQL's batched intake writes them, or
``insert_leads``, which intake's group commit and CSV imports call on both engines) is counted
exactly as the same leads inserted one by one: the same report counters, hourly totals and
company lead count, whatever their attribution, hour and status."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from leadflow.db.statements import ConnectionSql
from leadflow.leads import repository
from leadflow.models import Lead
from leadflow.models.base import new_uuid
from leadflow.models.report_counter import METRIC_COLUMNS
from leadflow.reports.counts_repository import fold_pending
from leadflow.reports.pending import BATCH
from tests.reports.conftest import Shop

COUNTER_KEY = "hour, schedule_id, offer_id, traffic_source_id, sub_id, campaign_id, buyer, state"


def _leads(shop: Shop) -> list[dict[str, Any]]:
    """Forty leads over two hours, with and without a schedule, source, sub ID and state (two
    spellings of one), half already opted out (counted in the hour of their last update)."""
    start = shop.factory.clock.now()
    sources = [None, shop.google.id, shop.bing.id]
    rows = []
    for n in range(40):  # the key repeats every 12 leads
        created = start + timedelta(minutes=37 * (n % 4))
        rows.append(
            {
                "company_id": shop.tenant.company.id,
                "offer_id": shop.offer.id,
                "schedule_id": shop.schedule.id if n % 4 else None,
                "traffic_source_id": sources[n % 3],
                "sub_id": [None, "a", "b"][n % 3],
                "caller_id": f"+171931{n:05d}",
                "status": "opt_out" if n % 2 == 0 else "scheduled",
                "tokens": {"state": [" tx", "TX", "Florida", None][n % 4]},
                "uuid": new_uuid(),
                "created_at": created,
                "updated_at": created + timedelta(minutes=50),
            }
        )
    return rows


async def _counted(session: AsyncSession, company_id: int) -> tuple[set[Any], set[Any]]:
    """The company's counter rows and total rows, once the leads waiting to be counted are
    (as a report folds them before it reads)."""
    await fold_pending(await session.connection(), 10_000)
    metrics = ", ".join(METRIC_COLUMNS)
    counters = await session.execute(
        text(f"SELECT {COUNTER_KEY}, {metrics} FROM report_counters WHERE company_id = :c"),
        {"c": company_id},
    )
    totals = await session.execute(
        text(f"SELECT hour, slot, {metrics} FROM report_totals WHERE company_id = :c"),
        {"c": company_id},
    )
    return {tuple(r) for r in counters}, {tuple(r) for r in totals}


async def test_a_batch_of_leads_counts_as_the_same_leads_one_by_one(shop: Shop) -> None:
    """Each way in a transaction of its own, read before it is rolled back, so that both
    count the same rows into the same (empty) counters."""
    leads = _leads(shop)
    company = shop.tenant.company.id
    async with shop.factory.sessionmaker() as session:
        await session.execute(insert(Lead).values(leads))
        batch_counters, batch_totals = await _counted(session, company)
        await session.rollback()
    async with shop.factory.sessionmaker() as session:
        for row in leads:
            await session.execute(insert(Lead).values(row))
        one_counters, one_totals = await _counted(session, company)
        await session.rollback()

    assert sum(row[8] for row in one_counters) == len(leads)  # the leads, after the key
    assert sum(row[10] for row in one_counters) == len(leads) // 2  # the opt-outs
    assert max(row[8] for row in one_counters) > 1  # keys the batch shares
    assert max(row[10] for row in one_counters) > 1
    assert batch_counters == one_counters
    assert batch_totals == one_totals


UNSET = {"action_index": 0, "contact_attempts": 0, "calls_placed": 0, "calls_connected": 0}
"""What the ORM's defaults fill in and plain SQL must give."""


def _insert_as_a_batch(session: Session, leads: list[dict[str, Any]]) -> None:
    """``leads`` as intake's group commit and imports write them: ids taken for the batch,
    then ``insert_leads``."""
    sql = ConnectionSql(session.connection())
    ids = repository.new_lead_ids(sql, len(leads))
    repository.insert_leads(
        sql, [{**UNSET, **row, "id": id_} for row, id_ in zip(leads, ids, strict=True)]
    )


async def _lead_count(session: AsyncSession, company_id: int) -> int:
    found = await session.scalar(
        text("SELECT count FROM lead_counts WHERE company_id = :c"), {"c": company_id}
    )
    return int(found or 0)


async def test_insert_leads_counts_as_the_same_leads_one_by_one(shop: Shop) -> None:
    """On SQLite ``insert_leads`` counts its leads itself, once per key, while the per-row
    triggers stand aside (migration 0019); on PostgreSQL the statement triggers do. Either
    way: the counters, totals and lead count of the same leads inserted one at a time."""
    leads = _leads(shop)
    company = shop.tenant.company.id
    async with shop.factory.sessionmaker() as session:
        await session.run_sync(_insert_as_a_batch, leads)
        batch_counters, batch_totals = await _counted(session, company)
        batch_count = await _lead_count(session, company)
        await session.rollback()
    async with shop.factory.sessionmaker() as session:
        for row in leads:
            await session.execute(insert(Lead).values(row))
        one_counters, one_totals = await _counted(session, company)
        one_count = await _lead_count(session, company)
        await session.rollback()

    assert sum(row[8] for row in one_counters) == len(leads)
    assert batch_counters == one_counters
    assert batch_totals == one_totals
    assert batch_count == one_count  # kept on SQLite only (migration 0003)


async def test_a_lead_inserted_after_a_batch_is_counted_by_its_trigger(shop: Shop) -> None:
    """The batch's triggers stand aside only while it inserts: the next lead, written alone
    in the same transaction, is counted as any lead is."""
    first, second = _leads(shop)[1:3]
    company = shop.tenant.company.id
    async with shop.factory.sessionmaker() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        await session.run_sync(_insert_as_a_batch, [first])
        await session.execute(insert(Lead).values(second))
        counters, _totals = await _counted(session, company)
        count = await _lead_count(session, company)
        await session.rollback()
    async with shop.factory.sessionmaker() as session:
        before = await _lead_count(session, company)

    assert sum(row[8] for row in counters) == 2
    if sqlite:  # kept on SQLite only (migration 0003)
        assert count == before + 2


@pytest.mark.engines("sqlite")  # PostgreSQL's failed statement inserts nothing
async def test_a_batch_that_fails_midway_counts_the_leads_it_inserted(shop: Shop) -> None:
    """SQLite keeps the rows the batch's statements inserted before the one that refused a
    row (how many depends on how ``Sql.many`` grouped the rows into statements); they are
    counted, so that a caller that carries on and commits has them counted, and the lead
    after the batch is counted by its trigger again."""
    leads = _leads(shop)[:5]
    leads[3]["uuid"] = leads[0]["uuid"]  # refused: the uuid is taken
    later = _leads(shop)[5]
    company = shop.tenant.company.id
    async with shop.factory.sessionmaker() as session:
        with pytest.raises(IntegrityError):
            await session.run_sync(_insert_as_a_batch, leads)
        await session.execute(insert(Lead).values(later))
        stored = await session.scalar(
            text("SELECT count(*) FROM leads WHERE company_id = :c"), {"c": company}
        )
        counters, _totals = await _counted(session, company)
        count = await _lead_count(session, company)
        await session.rollback()

    assert 1 <= stored <= 4  # the lead after the batch, and at most three of the batch
    assert sum(row[8] for row in counters) == stored
    assert count == stored


async def _trigger_calls(shop: Shop, leads: list[dict[str, Any]]) -> int:
    """How many times the report triggers' functions ran for one INSERT of ``leads`` (the
    view also holds counts this connection has not reported yet: hence the difference)."""
    calls = text(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions "
        "WHERE funcname LIKE 'report%'"
    )
    async with shop.factory.sessionmaker() as session:
        await session.execute(text("SET LOCAL track_functions = 'pl'"))
        before = int(await session.scalar(calls) or 0)
        await session.execute(insert(Lead).values(leads))
        after = int(await session.scalar(calls) or 0)
        await session.rollback()
    return after - before


@pytest.mark.engines("postgresql")  # SQLite's triggers run per row; it writes one at a time
async def test_a_batch_runs_the_counter_triggers_as_often_as_one_lead(shop: Shop) -> None:
    """On PostgreSQL the counters are summed per statement: a batch of forty leads costs the
    database as many trigger runs as one lead (three), not forty times as many (a hundred)."""
    leads = _leads(shop)
    one = await _trigger_calls(shop, leads[:1])
    assert one > 0
    assert await _trigger_calls(shop, leads) == one


@pytest.mark.engines("postgresql")  # SQLite has one writer: nothing to wait for
async def test_batches_of_the_same_counter_key_do_not_wait_for_each_other(shop: Shop) -> None:
    """Two transactions insert leads of the same company, hour and attribution: the second
    commits while the first is still open (before migration 0022 it waited on their shared
    counter row until the first committed, so a second API process added no intake). Both
    are counted once the fold has run."""
    lead = _leads(shop)[1]
    first, second, third = ({**lead, "sub_id": "a", "uuid": new_uuid()} for _ in range(3))
    factory = shop.factory
    async with factory.sessionmaker() as holder:
        await holder.execute(insert(Lead).values(first))
        async with factory.sessionmaker() as other:
            await other.execute(insert(Lead).values([second, third]))
            await asyncio.wait_for(other.commit(), 5)
        await holder.commit()

    async with factory.sessionmaker() as session:
        await fold_pending(await session.connection(), BATCH)
        await session.commit()
        counted = await session.execute(
            text("SELECT sub_id, leads FROM report_counters WHERE company_id = :c"),
            {"c": shop.tenant.company.id},
        )
        assert sorted(tuple(row) for row in counted) == [("a", 3)]
