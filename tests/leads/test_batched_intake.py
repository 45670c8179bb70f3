"""Posts that arrive together share one group-commit batch; on PostgreSQL they run as one
batched intake (``leads.batch``, ``db.pg_batch``). A publisher must see no difference: the same
answers, leads, timeline and suppression as had each post come alone, in a handful of
statements a batch rather than a few a lead."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from leadflow.app import create_app
from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Contact, LeadEvent, ReportCounter
from leadflow.reports.counts_repository import fold_pending
from leadflow.reports.pending import BATCH
from leadflow.settings import Settings
from tests.factories import Factory, Tenant
from tests.leads.conftest import Publisher, Stored
from tests.support.round_trips import counting_proxy

WINDOW = 600
BLOCKED = "+17195550100"


def _posts() -> list[dict[str, Any]]:
    """New callers, a caller posted twice (one lead, its data merged), a blocked number, and a
    traffic source the company does not have (refused, nothing stored)."""
    posts: list[dict[str, Any]] = [
        {"caller_id": f"+1719555{n:04d}", "interest": "kittens", "n": str(n)} for n in range(1, 13)
    ]
    posts += [
        {"caller_id": "+17195550001", "budget": "500"},
        {"caller_id": BLOCKED, "interest": "spam"},
        {"caller_id": "+17195550099", "traffic_source_id": "no-such-source"},
        {"email": "no-number@example.com"},
    ]
    return posts


async def _store(
    publisher: Publisher, schedule_id: int, stored: Stored, together: bool
) -> dict[str, Any]:
    """Post every post, together or one after another; what the schedule then holds."""
    if together:
        responses = await asyncio.gather(*(publisher.post(**post) for post in _posts()))
    else:
        responses = [await publisher.post(**post) for post in _posts()]
    leads = [lead for lead in await stored.leads() if lead.schedule_id == schedule_id]
    async with stored.sessionmaker() as session:
        events = (
            await session.scalars(
                select(LeadEvent.kind).where(LeadEvent.lead_id.in_([lead.id for lead in leads]))
            )
        ).all()
        contacts = (await session.scalars(select(Contact.number))).all()
        await fold_pending(await session.connection(), BATCH)  # as a report does before it reads
        counted = (
            await session.execute(
                select(func.sum(ReportCounter.leads), func.sum(ReportCounter.duplicates)).where(
                    ReportCounter.schedule_id == schedule_id
                )
            )
        ).one()
    return {
        "statuses": sorted(response.status_code for response in responses),
        "actions": Counter(
            response.json().get("dedupe_action") for response in responses if response.is_success
        ),
        "leads": sorted(
            (lead.caller_id or "", lead.email or "", lead.status, sorted(lead.tokens.items()))
            for lead in leads
        ),
        "events": Counter(events),
        "contacts": sorted(contacts),
        "reports": tuple(counted),  # the reports' counters, as a report reads them
    }


async def _publisher(
    factory: Factory, tenant: Tenant, publisher: Publisher
) -> tuple[Publisher, int]:
    schedule = await factory.schedule(tenant, lead_duplicate_timeframe=WINDOW)
    return Publisher(publisher.client, schedule.leads_api_key), schedule.id


async def test_posts_sent_together_store_what_the_same_posts_store_one_by_one(
    factory: Factory, tenant: Tenant, publisher: Publisher, stored: Stored
) -> None:
    await factory.contact(tenant, BLOCKED, blocked=True)
    one_by_one = await _store(*await _publisher(factory, tenant, publisher), stored, False)
    at_once = await _store(*await _publisher(factory, tenant, publisher), stored, True)

    assert at_once == one_by_one
    assert one_by_one["statuses"] == [200] * 15 + [422]
    assert one_by_one["actions"] == {"created": 14, "updated": 1}
    assert ("+17195550001", "", "scheduled", [("budget", "500"), ("interest", "kittens"),
            ("n", "1")]) in one_by_one["leads"]  # fmt: skip
    assert ("+17195550100", "", "blocked", [("interest", "spam")]) in one_by_one["leads"]
    assert one_by_one["events"] == {"created": 14, "updated": 1}
    assert one_by_one["reports"] == (14, 1)


@pytest.mark.engines("postgresql")
async def test_posts_sent_together_cost_a_few_round_trips_a_batch_on_postgresql(
    settings: Settings, clock: FrozenClock
) -> None:
    """Four round trips a lead (lock, suppression row, insert, timeline) became a few a batch:
    counted on the wire, between the API and a real PostgreSQL."""
    target = make_url(settings.database_url)
    async with counting_proxy(target.host or "127.0.0.1", target.port or 5432) as (port, turns):
        proxied = target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        app = create_app(settings.model_copy(update={"database_url": proxied}), clock)
        async with app.router.lifespan_context(app):
            factory = Factory(state_of(app).sessionmaker, clock)
            schedule = await factory.schedule(await factory.tenant())
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                publisher = Publisher(client, schedule.leads_api_key)
                await publisher.lead(caller_id="+17195550000")  # token cached, pool warm
                before = turns.round_trips
                posts = [publisher.post(caller_id=f"+1719555{n:04d}") for n in range(1, 41)]
                responses = await asyncio.gather(*posts)
                round_trips = turns.round_trips - before
            stored = await Stored(state_of(app).sessionmaker).leads()

    assert [response.status_code for response in responses] == [200] * 40
    assert len(stored) == 41
    assert round_trips <= 20  # 0.5 a lead; 4 a lead before
