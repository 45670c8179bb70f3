"""``lead_duplicate_timeframe``: a second post for the caller inside the window updates the
live lead instead of creating another, even when the posts arrive at the same instant."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.db.engine import create_engine
from leadflow.db.statements import ConnectionSql
from leadflow.leads.params import parse_intake
from leadflow.leads.rules import IntakeContext
from leadflow.leads.service import IntakeResult, intake
from leadflow.models import LeadStatus
from leadflow.settings import Settings
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher, Stored

WINDOW = 600


@pytest.fixture
async def deduped(publisher: Publisher, factory: Factory, tenant: Tenant) -> Publisher:
    schedule = await factory.schedule(tenant, lead_duplicate_timeframe=WINDOW)
    return Publisher(publisher.client, schedule.leads_api_key)


async def test_first_post_says_created(deduped: Publisher) -> None:
    response = await deduped.post(caller_id=CALLER)
    assert response.json()["dedupe_action"] == "created"


async def test_second_post_inside_the_window_updates_the_live_lead(
    deduped: Publisher, stored: Stored, clock: FrozenClock
) -> None:
    first = await deduped.lead(caller_id=CALLER, interest="kittens", source="google")
    clock.advance(seconds=WINDOW - 1)
    response = await deduped.post(caller_id=CALLER, source="bing", budget="500")
    assert response.json()["dedupe_action"] == "updated"
    lead = response.json()["lead"]
    assert lead["id"] == first["id"]
    assert lead["data"] == {"interest": "kittens", "source": "bing", "budget": "500"}
    assert lead["updated_at"] == "2026-01-05T15:09:59Z"
    assert len(await stored.leads()) == 1


async def test_post_outside_the_window_creates_a_new_lead(
    deduped: Publisher, stored: Stored, clock: FrozenClock
) -> None:
    first = await deduped.lead(caller_id=CALLER)
    clock.advance(seconds=WINDOW + 1)
    response = await deduped.post(caller_id=CALLER)
    assert response.json()["dedupe_action"] == "created"
    assert response.json()["lead"]["id"] != first["id"]
    assert len(await stored.leads()) == 2


async def test_timeframe_zero_always_creates(publisher: Publisher, stored: Stored) -> None:
    for _ in range(3):
        response = await publisher.post(caller_id=CALLER)
        assert response.json()["dedupe_action"] == "created"
    assert len(await stored.leads()) == 3


async def test_another_caller_is_another_lead(deduped: Publisher, stored: Stored) -> None:
    await deduped.lead(caller_id=CALLER)
    response = await deduped.post(caller_id="+18004506787")
    assert response.json()["dedupe_action"] == "created"


async def test_the_window_is_per_schedule(
    deduped: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    other = await factory.schedule(tenant, lead_duplicate_timeframe=WINDOW)
    await deduped.lead(caller_id=CALLER)
    response = await Publisher(deduped.client, other.leads_api_key).post(caller_id=CALLER)
    assert response.json()["dedupe_action"] == "created"


async def test_an_ended_lead_is_not_revived(deduped: Publisher, stored: Stored) -> None:
    first = await deduped.lead(caller_id=CALLER)
    await stored.set_status(first["id"], LeadStatus.COMPLETED)
    response = await deduped.post(caller_id=CALLER)
    assert response.json()["dedupe_action"] == "created"
    assert (await stored.lead(first["id"])).status == LeadStatus.COMPLETED


async def test_an_update_writes_an_updated_event(deduped: Publisher, stored: Stored) -> None:
    first = await deduped.lead(caller_id=CALLER)
    await deduped.lead(caller_id=CALLER, interest="kittens")
    assert await stored.event_kinds(first["id"]) == ["created", "updated"]


async def test_concurrent_identical_posts_produce_one_lead(
    deduped: Publisher, stored: Stored
) -> None:
    responses = await asyncio.gather(
        *(deduped.post(caller_id=CALLER, interest="kittens") for _ in range(20))
    )
    assert {r.status_code for r in responses} == {200}
    actions = sorted(r.json()["dedupe_action"] for r in responses)
    assert actions == ["created"] + ["updated"] * 19
    assert len({r.json()["lead"]["id"] for r in responses}) == 1
    assert len(await stored.leads()) == 1


async def test_a_second_process_waits_for_the_first_ones_lead(
    deduped: Publisher, settings: Settings, clock: FrozenClock, app: FastAPI
) -> None:
    """Two engines stand for two server processes: while one holds a new lead uncommitted,
    the other's post for the same caller waits, then updates that lead."""
    owner = await state_of(app).owner_cache.resolve(deduped.token)
    params = parse_intake({"caller_id": CALLER}, owner.region)
    ctx = IntakeContext(now=clock.now(), remote_ip=None)
    first_process = create_engine(settings.database_url)
    second_process = create_engine(settings.database_url)
    try:
        async with first_process.connect() as first, first.begin() as transaction:
            created = await first.run_sync(lambda c: intake(ConnectionSql(c), owner, params, ctx))

            async def post_from_second_process() -> IntakeResult:
                async with second_process.begin() as second:
                    return await second.run_sync(
                        lambda c: intake(ConnectionSql(c), owner, params, ctx)
                    )

            waiting = asyncio.create_task(post_from_second_process())
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await transaction.commit()
        updated = await asyncio.wait_for(waiting, timeout=10)
    finally:
        await first_process.dispose()
        await second_process.dispose()
    assert (created.dedupe_action, updated.dedupe_action) == ("created", "updated")
    assert updated.lead["id"] == created.lead["id"]
