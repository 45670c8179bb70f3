"""Webhook tests: a tenant whose schedule takes leads, a real receiver, and the job run by hand
with the frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.models import Schedule, WebhookDelivery
from leadflow.settings import Settings
from leadflow.webhooks.delivery import deliver_due_webhooks
from tests.factories import Factory, Tenant
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
    host = private_address() or "127.0.0.1"
    found = Receiver(host)
    server = serve(found)
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Hooks:
    """One company with a schedule, subscribing and posting leads through the API."""

    app: FastAPI
    client: httpx.AsyncClient
    factory: Factory
    tenant: Tenant
    schedule: Schedule

    async def subscribe(
        self, target_url: str, event: str = "new_lead", **body: Any
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/subscriptions",
            json={"target_url": target_url, "event": event, **body},
            headers=self.tenant.auth,
        )
        assert response.status_code == 200, response.text
        subscription: dict[str, Any] = response.json()["subscription"]
        return subscription

    async def post_lead(self, token: str | None = None, **params: Any) -> dict[str, Any]:
        query = {"lead_token": token or self.schedule.leads_api_key, "caller_id": CALLER}
        response = await self.client.post("/api/v1/leads", params={**query, **params})
        assert response.status_code == 200, response.text
        lead: dict[str, Any] = response.json()["lead"]
        return lead

    async def deliver(self) -> int:
        return await deliver_due_webhooks(state_of(self.app).worker_context)

    async def deliveries(self, subscription_id: int, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/api/v1/subscriptions/{subscription_id}/deliveries",
            params=params,
            headers=self.tenant.auth,
        )
        assert response.status_code == 200, response.text
        listed: list[dict[str, Any]] = response.json()["webhook_deliveries"]
        return listed

    async def delivery_count(self) -> int:
        async with state_of(self.app).sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)))


@pytest.fixture
async def hooks(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Hooks:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    return Hooks(app, client, factory, tenant, schedule)
