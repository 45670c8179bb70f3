"""A seller of leads: a tenant with a campaign, posting with ``X-API-Key``, and a look at the
rows its posts left behind through a session of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.app_state import state_of
from leadflow.models import Submission, SubmittedLead
from tests.factories import Factory, Tenant


def api_key(tenant: Tenant) -> dict[str, str]:
    return {"X-API-Key": f"{tenant.public_key}.{tenant.private_key}"}


def lead(**fields: Any) -> dict[str, Any]:
    """A valid new lead for campaign ``auto``; ``fields`` replace or add."""
    return {
        "campaignId": "auto",
        "firstName": "jane",
        "lastName": "smith",
        "email": "Jane@Example.com",
        "phone": "(719) 313-2645",
        **fields,
    }


@dataclass
class Seller:
    client: httpx.AsyncClient
    tenant: Tenant

    @property
    def headers(self) -> dict[str, str]:
        return api_key(self.tenant)

    async def campaign(self, code: str = "auto", **fields: Any) -> dict[str, Any]:
        body = {"name": f"Campaign {code}", "code": code, **fields}
        answer = await self.client.post("/api/v1/campaigns", json=body, headers=self.headers)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()["data"]
        return created

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/leads{path}", json=body, headers=self.headers, **kwargs
        )

    async def get(self, path: str = "", **params: Any) -> httpx.Response:
        return await self.client.get(f"/api/v1/leads{path}", params=params, headers=self.headers)

    async def submit(self, **fields: Any) -> dict[str, Any]:
        answer = await self.post("/submit", lead(**fields))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@dataclass
class Rows:
    sessionmaker: async_sessionmaker[AsyncSession]

    async def lead(self, lead_id: str) -> SubmittedLead:
        async with self.sessionmaker() as session:
            stmt = select(SubmittedLead).where(SubmittedLead.uuid == lead_id)
            return (await session.scalars(stmt)).one()

    async def submissions(self, lead_id: str) -> Sequence[Submission]:
        async with self.sessionmaker() as session:
            stmt = (
                select(Submission)
                .join(SubmittedLead, SubmittedLead.id == Submission.lead_id)
                .where(SubmittedLead.uuid == lead_id)
                .order_by(Submission.number)
            )
            return (await session.scalars(stmt)).all()

    async def set_status(self, lead_id: str, status: str) -> None:
        """What the worker would leave behind: the lead and its latest submission in ``status``."""
        row = await self.lead(lead_id)
        async with self.sessionmaker() as session:
            await session.execute(
                update(Submission).where(Submission.lead_id == row.id).values(status=status)
            )
            await session.execute(
                update(SubmittedLead).where(SubmittedLead.id == row.id).values(status=status)
            )
            await session.commit()


@pytest.fixture
async def seller(client: httpx.AsyncClient, factory: Factory) -> Seller:
    made = Seller(client, await factory.tenant())
    await made.campaign()
    return made


@pytest.fixture
def rows(app: FastAPI) -> Rows:
    return Rows(state_of(app).sessionmaker)
