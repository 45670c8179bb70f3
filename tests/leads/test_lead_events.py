"""Every change to a lead leaves a ``LeadEvent``: the timeline the UI and webhooks read."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.kit.values import iso_time
from leadflow.models import LeadEvent
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher, Stored


async def _events(app: FastAPI, lead_id: int) -> list[LeadEvent]:
    async with state_of(app).sessionmaker() as session:
        stmt = select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
        return list((await session.scalars(stmt)).all())


async def test_created_event_names_the_tokens_and_the_route(
    publisher: Publisher, app: FastAPI, tenant: Tenant
) -> None:
    lead = await publisher.lead(caller_id=CALLER, interest="kittens", budget="5")
    (created,) = await _events(app, lead["id"])
    assert (created.kind, created.company_id) == ("created", tenant.company.id)
    assert created.data == {"tokens": ["budget", "interest"], "mode": "enrol"}
    assert iso_time(created.created_at) == lead["created_at"]


async def test_updated_event_names_the_tokens_it_changed(
    publisher: Publisher, factory: Factory, tenant: Tenant, app: FastAPI
) -> None:
    schedule = await factory.schedule(tenant, lead_duplicate_timeframe=60)
    poster = Publisher(publisher.client, schedule.leads_api_key)
    lead = await poster.lead(caller_id=CALLER)
    await poster.lead(caller_id=CALLER, budget="5")
    updated = (await _events(app, lead["id"]))[-1]
    assert (updated.kind, updated.data) == ("updated", {"tokens": ["budget"]})


async def test_assigning_a_number_is_on_the_timeline(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    await factory.number(tenant, "+13035550100", ["voice"])
    lead = await publisher.lead(caller_id=CALLER, assign_trackdrive_number="true")
    assert await stored.event_kinds(lead["id"]) == ["created", "number_assigned"]


async def test_a_callback_is_on_the_timeline(publisher: Publisher, stored: Stored) -> None:
    lead = await publisher.lead(caller_id=CALLER, schedule_callback_in_seconds="60")
    assert await stored.event_kinds(lead["id"]) == ["created", "callback_scheduled"]


async def test_a_refused_post_leaves_no_event(publisher: Publisher, app: FastAPI) -> None:
    await publisher.post(caller_id=CALLER, assign_sms_number="true")
    async with state_of(app).sessionmaker() as session:
        assert (await session.scalars(select(LeadEvent))).all() == []
