"""Lead events, call events, webhook attempts and settled webhook deliveries older than their
retention are pruned by the worker; newer ones, and the leads, calls and pending deliveries,
stay."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import (
    Call,
    CallEvent,
    Lead,
    LeadEvent,
    Subscription,
    WebhookAttempt,
    WebhookDelivery,
)
from leadflow.ops import retention
from leadflow.ops.retention import PruneHistory
from tests.factories import Factory, Tenant


async def post_lead(client: httpx.AsyncClient, token: str, caller_id: str) -> int:
    response = await client.post(
        "/api/v1/leads", json={"lead_token": token, "caller_id": caller_id}
    )
    assert response.status_code == 200, response.text
    lead_id: int = response.json()["lead"]["id"]
    return lead_id


async def count(factory: Factory, model: type, *where: object) -> int:
    async with factory.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))  # type: ignore[arg-type]


async def call_with_events(factory: Factory, tenant: Tenant, clock: FrozenClock) -> int:
    async with factory.sessionmaker() as session:
        now = clock.now()
        call = Call(
            company_id=tenant.company.id, to_number="+12125550123", created_at=now, updated_at=now
        )
        session.add(call)
        await session.flush()
        for kind in ("queued", "ringing", "completed"):
            session.add(
                CallEvent(company_id=tenant.company.id, call_id=call.id, kind=kind, created_at=now)
            )
        await session.commit()
        return call.id


async def delivery_with_attempts(factory: Factory, tenant: Tenant, clock: FrozenClock) -> int:
    async with factory.sessionmaker() as session:
        now = clock.now()
        subscription = Subscription(
            company_id=tenant.company.id,
            target_url="https://hooks.example.com/leadflow",
            event="lead.created",
            secret="s" * 32,
            created_at=now,
            updated_at=now,
        )
        session.add(subscription)
        await session.flush()
        delivery = WebhookDelivery(
            company_id=tenant.company.id,
            subscription_id=subscription.id,
            event="lead.created",
            status="pending",
            created_at=now,
            updated_at=now,
        )
        session.add(delivery)
        await session.flush()
        for attempt in (1, 2):
            session.add(WebhookAttempt(delivery_id=delivery.id, attempt=attempt, created_at=now))
        await session.commit()
        return delivery.id


async def test_history_past_its_retention_is_pruned_and_newer_history_kept(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    old_lead = await post_lead(client, schedule.leads_api_key, "+12125550101")
    old_call = await call_with_events(factory, tenant, clock)
    old_delivery = await delivery_with_attempts(factory, tenant, clock)
    clock.advance(days=366)  # past every default: 365, 90 and 14 days
    new_lead = await post_lead(client, schedule.leads_api_key, "+12125550102")
    new_call = await call_with_events(factory, tenant, clock)
    new_delivery = await delivery_with_attempts(factory, tenant, clock)

    await PruneHistory()(state_of(app).worker_context)

    assert await count(factory, LeadEvent, LeadEvent.lead_id == old_lead) == 0
    assert await count(factory, LeadEvent, LeadEvent.lead_id == new_lead) > 0
    assert await count(factory, Lead) == 2
    assert await count(factory, CallEvent, CallEvent.call_id == old_call) == 0
    assert await count(factory, CallEvent, CallEvent.call_id == new_call) == 3
    assert await count(factory, Call) == 2
    assert await count(factory, WebhookAttempt, WebhookAttempt.delivery_id == old_delivery) == 0
    assert await count(factory, WebhookAttempt, WebhookAttempt.delivery_id == new_delivery) == 2
    assert await count(factory, WebhookDelivery) == 2


async def test_each_table_keeps_its_own_number_of_days(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    lead = await post_lead(client, schedule.leads_api_key, "+12125550101")
    call = await call_with_events(factory, tenant, clock)
    delivery = await delivery_with_attempts(factory, tenant, clock)
    clock.advance(days=30)  # past the 14 days of webhook attempts only

    await PruneHistory()(state_of(app).worker_context)

    assert await count(factory, LeadEvent, LeadEvent.lead_id == lead) > 0
    assert await count(factory, CallEvent, CallEvent.call_id == call) == 3
    assert await count(factory, WebhookAttempt, WebhookAttempt.delivery_id == delivery) == 0


async def test_zero_days_keeps_history_forever(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    settings = state_of(app).worker_context.settings
    settings.retention_lead_events_days = 0
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    lead = await post_lead(client, schedule.leads_api_key, "+12125550101")
    clock.advance(days=3650)

    await PruneHistory()(state_of(app).worker_context)

    assert await count(factory, LeadEvent, LeadEvent.lead_id == lead) > 0


async def test_a_backlog_is_pruned_in_small_batches_over_several_rounds(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    for n in range(7):
        await post_lead(client, schedule.leads_api_key, f"+1212555{n:04d}")
    clock.advance(days=400)
    job = PruneHistory()
    monkeypatch.setattr(retention, "BATCH", 2)
    monkeypatch.setattr(retention, "BATCHES_PER_ROUND", 1)

    await job(state_of(app).worker_context)
    after_one_round = await count(factory, LeadEvent)
    assert job.backlog  # more remain: the next round goes on, without waiting 10 minutes
    for _ in range(10):
        await job(state_of(app).worker_context)

    assert after_one_round > 0
    assert await count(factory, LeadEvent) == 0
    assert not job.backlog


async def test_settled_webhook_deliveries_are_pruned_in_small_batches_too(
    app: FastAPI, factory: Factory, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await factory.tenant()
    settled = [await delivery_with_attempts(factory, tenant, clock) for _ in range(5)]
    pending = await delivery_with_attempts(factory, tenant, clock)
    async with factory.sessionmaker() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(settled))
            .values(status="delivered")
        )
        await session.commit()
    clock.advance(days=31)  # past LEADFLOW_WEBHOOK_RETENTION_DAYS (30)
    job = PruneHistory()
    monkeypatch.setattr(retention, "BATCH", 2)
    monkeypatch.setattr(retention, "BATCHES_PER_ROUND", 1)

    await job(state_of(app).worker_context)
    after_one_round = await count(factory, WebhookDelivery)
    for _ in range(10):
        await job(state_of(app).worker_context)

    assert after_one_round == 4  # one batch of 2 in a round; the rest in the next rounds
    remaining = await count(factory, WebhookDelivery)
    assert remaining == 1
    assert await count(factory, WebhookDelivery, WebhookDelivery.id == pending) == 1
