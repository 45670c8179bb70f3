"""What every intake test needs: a tenant with a schedule, a publisher posting to it, and a
look at the rows the posts left behind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.app_state import state_of
from leadflow.models import Call, Contact, Lead, LeadEvent, Offer, Schedule
from tests.factories import Factory, Tenant

CALLER = "+17193132645"


@dataclass
class Publisher:
    """Posts leads as a publisher does: ``lead_token`` and parameters on the query string."""

    client: httpx.AsyncClient
    token: str

    async def post(
        self,
        path: str = "",
        *,
        method: str = "POST",
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> httpx.Response:
        query = {"lead_token": self.token if token is None else token, **params}
        return await self.client.request(
            method, f"/api/v1/leads{path}", params=query, headers=headers
        )

    async def post_json(self, body: dict[str, Any], path: str = "") -> httpx.Response:
        return await self.client.post(
            f"/api/v1/leads{path}", json={"lead_token": self.token, **body}
        )

    async def lead(self, **params: Any) -> dict[str, Any]:
        """Post and return the serialised lead, failing the test on anything but 200."""
        response = await self.post(**params)
        assert response.status_code == 200, response.text
        lead: dict[str, Any] = response.json()["lead"]
        return lead


@dataclass
class Stored:
    """Reads what intake committed, through a session of its own."""

    sessionmaker: async_sessionmaker[AsyncSession]

    async def leads(self, *where: Any) -> list[Lead]:
        async with self.sessionmaker() as session:
            return list((await session.scalars(select(Lead).where(*where).order_by(Lead.id))).all())

    async def lead(self, lead_id: int) -> Lead:
        async with self.sessionmaker() as session:
            found = await session.get(Lead, lead_id)
        assert found is not None
        return found

    async def set_status(self, lead_id: int, status: str, **columns: Any) -> None:
        """Move a lead as the worker would (the worker is not part of these tests)."""
        async with self.sessionmaker() as session:
            lead = await session.get(Lead, lead_id)
            assert lead is not None
            lead.status = status
            for name, value in columns.items():
                setattr(lead, name, value)
            await session.commit()

    async def offer(self, offer_id: int) -> Offer:
        async with self.sessionmaker() as session:
            found = await session.get(Offer, offer_id)
        assert found is not None
        return found

    async def event_kinds(self, lead_id: int) -> list[str]:
        async with self.sessionmaker() as session:
            stmt = select(LeadEvent.kind).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
            return list((await session.scalars(stmt)).all())

    async def contact(self, number: str) -> Contact | None:
        async with self.sessionmaker() as session:
            return (await session.scalars(select(Contact).where(Contact.number == number))).first()

    async def call_for(self, lead_id: int, tokens: dict[str, Any]) -> int:
        """A call placed to the lead, as the dialer would have written it."""
        lead = await self.lead(lead_id)
        async with self.sessionmaker() as session:
            call = Call(
                company_id=lead.company_id,
                lead_id=lead.id,
                schedule_id=lead.schedule_id,
                to_number=lead.caller_id or "",
                tokens=tokens,
                created_at=lead.created_at,
                updated_at=lead.created_at,
            )
            session.add(call)
            await session.commit()
            return call.id

    async def call_tokens(self, call_id: int) -> dict[str, Any]:
        async with self.sessionmaker() as session:
            call = await session.get(Call, call_id)
        assert call is not None
        return call.tokens


@pytest.fixture
async def tenant(factory: Factory) -> Tenant:
    return await factory.tenant()


@pytest.fixture
async def schedule(factory: Factory, tenant: Tenant) -> Schedule:
    return await factory.schedule(tenant)


@pytest.fixture
def publisher(client: httpx.AsyncClient, schedule: Schedule) -> Publisher:
    return Publisher(client, schedule.leads_api_key)


@pytest.fixture
def stored(app: FastAPI) -> Stored:
    return Stored(state_of(app).sessionmaker)
