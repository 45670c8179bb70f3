"""A converted call ends its lead as ``completed_converted`` and a real receiver hears
``lead_converted`` (and ``call_changed``), once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Call, Lead, LeadEvent, LeadStatus, WebhookDelivery
from leadflow.settings import Settings
from leadflow.webhooks.delivery import deliver_due_webhooks
from tests.factories import Factory, Tenant
from tests.telephony.builders import Builder
from tests.webhooks.receiver import Receiver, private_address, serve

CALLER = "+17193132645"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The receiver sits on this host (a private address when it has one, else loopback)."""
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_private_urls=True,
        allow_loopback_urls=True,
        webhook_timeout_seconds=5.0,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(private_address() or "127.0.0.1")
    server = serve(found)
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


async def _subscribe(client: httpx.AsyncClient, tenant: Tenant, url: str, event: str) -> None:
    answer = await client.post(
        "/api/v1/subscriptions",
        json={"target_url": url, "event": event},
        headers=tenant.auth,
    )
    assert answer.status_code == 200, answer.text


async def _put(
    client: httpx.AsyncClient, tenant: Tenant, call: Call, body: dict[str, Any]
) -> httpx.Response:
    return await client.put(f"/api/v1/calls/{call.id}", json=body, headers=tenant.auth)


async def _deliveries(app: FastAPI, event: str) -> int:
    async with state_of(app).sessionmaker() as session:
        stmt = select(func.count()).select_from(WebhookDelivery)
        return int(await session.scalar(stmt.where(WebhookDelivery.event == event)) or 0)


async def test_a_converted_call_ends_its_lead_and_fires_lead_converted(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    clock: FrozenClock,
    receiver: Receiver,
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER)
    call = await build.call(lead, status="completed")
    await _subscribe(client, tenant, receiver.url("/converted"), "lead_converted")
    await _subscribe(client, tenant, receiver.url("/changed"), "call_changed")
    clock.advance(minutes=5)

    answer = await _put(client, tenant, call, {"buyer_converted": True, "revenue": 25})
    assert answer.status_code == 200, answer.text
    assert answer.json()["call"]["buyer_converted"] is True

    stored = await build.one(Lead, Lead.id == lead.id)
    assert stored.status == LeadStatus.COMPLETED_CONVERTED
    assert (stored.ended_at, stored.next_action_at) == (clock.now(), None)
    events = await build.rows(LeadEvent, LeadEvent.lead_id == lead.id)
    assert [(e.kind, e.data) for e in events] == [
        ("converted", {"call_id": call.id, "by": ["buyer_converted"]})
    ]

    assert await deliver_due_webhooks(state_of(app).worker_context) == 2
    bodies = {r.path: orjson.loads(r.body) for r in receiver.requests}
    converted = bodies["/converted"]
    assert converted["event"] == "lead_converted"
    assert (converted["data"]["id"], converted["data"]["status"]) == (
        lead.id,
        "completed_converted",
    )
    assert converted["data"]["has_next_action"] is False
    changed = bodies["/changed"]
    assert changed["event"] == "call_changed"
    assert (changed["data"]["id"], changed["data"]["revenue"]) == (call.id, 25.0)


async def test_converting_again_announces_the_lead_only_once(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER)
    first, second = await build.call(lead), await build.call(lead)
    await build.subscription(tenant, "lead_converted")
    assert (await _put(client, tenant, first, {"offer_converted": True})).status_code == 200
    assert (await _put(client, tenant, second, {"buyer_converted": "true"})).status_code == 200
    assert (await _put(client, tenant, first, {"buyer_converted": True})).status_code == 200
    assert await _deliveries(app, "lead_converted") == 1


async def test_money_alone_leaves_the_lead_in_its_schedule(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER)
    call = await build.call(lead)
    await build.subscription(tenant, "lead_converted")
    answer = await _put(client, tenant, call, {"revenue": 3, "buyer_converted": False})
    assert answer.status_code == 200
    assert (await build.one(Lead, Lead.id == lead.id)).status == LeadStatus.SCHEDULED
    assert await _deliveries(app, "lead_converted") == 0


async def test_a_refused_update_converts_nothing(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER)
    call = await build.call(lead)
    await build.subscription(tenant, "lead_converted")
    answer = await _put(client, tenant, call, {"buyer_converted": True, "payout": -1})
    assert answer.status_code == 422
    assert (await build.one(Lead, Lead.id == lead.id)).status == LeadStatus.SCHEDULED
    assert await _deliveries(app, "lead_converted") == 0
