"""A company with an offer, a schedule and two publishers, posting leads the way publishers do,
and ``GET /api/v1/reports`` one line away. The company's zone is New York (UTC-5 in January);
the clock stands at 2026-01-05 15:00 UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from leadflow.models import (
    Call,
    Campaign,
    Offer,
    Schedule,
    Submission,
    SubmittedLead,
    TrafficSource,
)
from tests.factories import Factory, Tenant


@dataclass
class Shop:
    client: httpx.AsyncClient
    factory: Factory
    tenant: Tenant
    offer: Offer
    schedule: Schedule
    google: TrafficSource
    bing: TrafficSource

    async def post(self, caller: str, **params: Any) -> dict[str, Any]:
        """A lead posted to the schedule; the serialised lead."""
        query = {"lead_token": self.schedule.leads_api_key, "caller_id": caller, **params}
        answer = await self.client.post("/api/v1/leads", params=query)
        assert answer.status_code == 200, answer.text
        lead: dict[str, Any] = answer.json()["lead"]
        return lead

    async def report(self, **params: Any) -> dict[str, Any]:
        answer = await self.client.get("/api/v1/reports", params=params, headers=self.tenant.auth)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def call(self, lead_id: int | None, at: datetime | None = None, **fields: Any) -> Call:
        when = at or self.factory.clock.now()
        fields.setdefault("to_number", "+17193132645")
        fields.setdefault("status", "completed")
        fields.setdefault("offer_id", self.offer.id)
        fields.setdefault("schedule_id", self.schedule.id)
        row = Call(
            company_id=self.tenant.company.id,
            lead_id=lead_id,
            created_at=when,
            updated_at=when,
            **fields,
        )
        added: Call = await self.factory._add(row)
        return added

    async def campaign(self, code: str) -> Campaign:
        now = self.factory.clock.now()
        row = Campaign(
            company_id=self.tenant.company.id,
            name=f"Buyer {code}",
            code=code,
            config={},
            created_at=now,
            updated_at=now,
        )
        added: Campaign = await self.factory._add(row)
        return added

    async def submission(
        self,
        campaign: Campaign,
        status: str,
        url: str = "",
        data: dict[str, Any] | None = None,
        revenue: float | None = None,
    ) -> Submission:
        """A submission as the pipeline leaves it; ``revenue``: a ping/post sale's price."""
        now = self.factory.clock.now()
        data = {"state": "Florida"} if data is None else data
        lead = await self.factory._add(
            SubmittedLead(
                company_id=self.tenant.company.id,
                campaign_id=campaign.id,
                data=data,
                created_at=now,
                updated_at=now,
            )
        )
        row = Submission(
            company_id=self.tenant.company.id,
            lead_id=lead.id,
            campaign_id=campaign.id,
            status=status,
            data=data,
            delivery=_delivery(url, revenue),
            created_at=now,
            updated_at=now,
        )
        added: Submission = await self.factory._add(row)
        return added


def _delivery(url: str, revenue: float | None) -> dict[str, Any]:
    delivery: dict[str, Any] = {"url": url} if url else {}
    if revenue is not None:
        delivery["revenue"] = revenue
    return delivery


@pytest.fixture
async def shop(client: httpx.AsyncClient, factory: Factory) -> Shop:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant, name="Auto insurance")
    schedule = await factory.schedule(
        tenant, offer, name="Call at once", lead_duplicate_timeframe=3600
    )
    google = await factory.traffic_source(tenant, name="Google")
    bing = await factory.traffic_source(tenant, name="Bing")
    return Shop(client, factory, tenant, offer, schedule, google, bing)
