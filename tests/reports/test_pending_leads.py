"""New leads wait in ``report_pending_leads`` until a fold counts them (migration 0022): a
report folds before it reads, so it is never behind; the worker folds in batches; and a lead
moved, opted out or deleted while it waits is counted as it then is, exactly as
``leadflow reports rebuild`` counts it from the tables."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import insert, text, update

from leadflow.app_state import state_of
from leadflow.models import Lead
from leadflow.models.base import new_uuid
from leadflow.models.report_counter import METRIC_COLUMNS
from leadflow.reports import pending
from leadflow.reports.counts_repository import fold_pending
from leadflow.reports.pending import BATCH
from leadflow.reports.rebuild import rebuild
from tests.reports.conftest import Shop


async def _scalar(shop: Shop, statement: str) -> int:
    async with shop.factory.sessionmaker() as session:
        return int(await session.scalar(text(statement)) or 0)


async def _counters(shop: Shop) -> set[tuple[Any, ...]]:
    """The company's counter rows that hold anything (a move leaves zeros behind)."""
    metrics = ", ".join(METRIC_COLUMNS)
    nonzero = " OR ".join(f"{m} <> 0" for m in METRIC_COLUMNS)
    async with shop.factory.sessionmaker() as session:
        found = await session.execute(
            text(
                "SELECT hour, schedule_id, offer_id, traffic_source_id, sub_id, campaign_id, "
                f"buyer, state, {metrics} FROM report_counters "
                f"WHERE company_id = :c AND ({nonzero})"
            ),
            {"c": shop.tenant.company.id},
        )
        return {tuple(row) for row in found}


async def test_a_posted_lead_waits_to_be_counted_and_a_report_counts_it(shop: Shop) -> None:
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")
    assert await _scalar(shop, "SELECT count(*) FROM report_pending_leads") == 1
    assert await _scalar(shop, "SELECT coalesce(sum(leads), 0) FROM report_counters") == 0

    body = await shop.report(group_by="traffic_source,sub_id", metrics="leads")

    assert body["report"]["rows"] == [
        {"traffic_source": {"id": shop.google.id, "name": "Google"}, "sub_id": "s1", "leads": 1}
    ]
    assert await _scalar(shop, "SELECT count(*) FROM report_pending_leads") == 0
    assert await _scalar(shop, "SELECT sum(leads) FROM report_counters") == 1


async def test_leads_changed_while_they_wait_are_counted_as_a_rebuild_counts_them(
    shop: Shop, app: FastAPI
) -> None:
    """Moved to another source and sub ID, opted out, deleted with a call on it: each while
    still waiting. The fold's counters are the counters a rebuild makes from the tables."""
    moved = await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="a")
    opted = await shop.post("+17193132602", sub_id="b")
    gone = await shop.post("+17193132603", traffic_source_id=shop.bing.id, sub_id="c")
    kept = await shop.post("+17193132604", traffic_source_id=shop.bing.id, sub_id="c")
    await shop.call(gone["id"], revenue_cents=900)
    async with shop.factory.sessionmaker() as session:
        await session.execute(
            update(Lead)
            .where(Lead.id == moved["id"])
            .values(traffic_source_id=shop.bing.id, sub_id="z", tokens={"state": "TX"})
        )
        await session.execute(update(Lead).where(Lead.id == opted["id"]).values(status="opt_out"))
        await session.execute(text("DELETE FROM leads WHERE id = :id"), {"id": gone["id"]})
        await session.commit()
    assert await _scalar(shop, "SELECT count(*) FROM report_pending_leads") == 3

    async with state_of(app).engine.begin() as connection:
        assert await fold_pending(connection, BATCH) == 3
    folded = await _counters(shop)
    await rebuild(shop.factory.sessionmaker, shop.tenant.company.id)

    assert folded == await _counters(shop)
    assert kept["id"] not in {moved["id"], opted["id"], gone["id"]}
    assert await _scalar(shop, "SELECT sum(leads) FROM report_counters") == 3
    assert await _scalar(shop, "SELECT sum(opt_outs) FROM report_counters") == 1
    # The deleted lead's call stays, under no sub ID: it happened.
    assert await _scalar(shop, "SELECT sum(revenue_cents) FROM report_counters") == 900


async def test_a_lead_changed_after_it_is_counted_moves_its_counts(shop: Shop) -> None:
    lead = await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="a")
    await shop.report()  # folded
    async with shop.factory.sessionmaker() as session:
        await session.execute(update(Lead).where(Lead.id == lead["id"]).values(sub_id="b"))
        await session.commit()

    body = await shop.report(group_by="sub_id", metrics="leads")

    assert body["report"]["rows"] == [{"sub_id": "b", "leads": 1}]


async def test_the_worker_folds_the_leads_waiting(shop: Shop, app: FastAPI) -> None:
    company = shop.tenant.company.id
    rows = [
        {
            "company_id": company,
            "offer_id": shop.offer.id,
            "caller_id": f"+1719313{n:04d}",
            "status": "scheduled",
            "tokens": {},
            "uuid": new_uuid(),
            "created_at": shop.factory.clock.now(),
            "updated_at": shop.factory.clock.now(),
        }
        for n in range(25)
    ]
    async with shop.factory.sessionmaker() as session:
        await session.execute(insert(Lead).values(rows))
        await session.commit()

    job = pending.FoldPendingLeads()
    assert await job(state_of(app).worker_context) == 0  # a short queue is no backlog

    assert await _scalar(shop, "SELECT count(*) FROM report_pending_leads") == 0
    assert await _scalar(shop, "SELECT sum(leads) FROM report_counters") == 25


async def test_a_report_counts_its_own_company_s_waiting_leads_and_no_other_s(
    shop: Shop,
) -> None:
    """Another company's backlog (an import the worker has not caught up with) is the
    worker's to count: a report neither waits for it nor counts it (migration 0023)."""
    other = await shop.factory.tenant()
    offer = await shop.factory.offer(other, name="Theirs")
    now = shop.factory.clock.now()
    theirs = [
        {
            "company_id": other.company.id,
            "offer_id": offer.id,
            "caller_id": f"+1719414{n:04d}",
            "status": "scheduled",
            "tokens": {},
            "uuid": new_uuid(),
            "created_at": now,
            "updated_at": now,
        }
        for n in range(30)
    ]
    async with shop.factory.sessionmaker() as session:
        await session.execute(insert(Lead).values(theirs))
        await session.commit()
    await shop.post("+17193132601", sub_id="mine")

    body = await shop.report(group_by="sub_id", metrics="leads")

    assert body["report"]["rows"] == [{"sub_id": "mine", "leads": 1}]
    assert await _scalar(shop, "SELECT count(*) FROM report_pending_leads") == 30
    answer = await shop.client.get(
        "/api/v1/reports", params={"metrics": "leads"}, headers=other.auth
    )
    assert answer.json()["report"]["totals"]["leads"] == 30
    assert await _scalar(shop, "SELECT count(*) FROM report_pending_leads") == 0
