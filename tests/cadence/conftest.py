"""Cadence tests post leads the way publishers do and run the worker's jobs by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.channels.simulated import SimulatedEmail, SimulatedSms, SimulatedVoice
from leadflow.models import Call, Lead, LeadEvent, Message
from leadflow.worker.jobs import default_jobs
from leadflow.worker.runner import Job
from tests.factories import Factory, Tenant


@dataclass
class Cadence:
    app: FastAPI
    client: httpx.AsyncClient
    factory: Factory
    tenant: Tenant
    jobs: list[Job]

    @property
    def voice(self) -> SimulatedVoice:
        channel = state_of(self.app).worker_context.channels.voice
        assert isinstance(channel, SimulatedVoice)
        return channel

    @property
    def sms(self) -> SimulatedSms:
        channel = state_of(self.app).worker_context.channels.sms
        assert isinstance(channel, SimulatedSms)
        return channel

    @property
    def email(self) -> SimulatedEmail:
        channel = state_of(self.app).worker_context.channels.email
        assert isinstance(channel, SimulatedEmail)
        return channel

    async def schedule(self, actions: list[dict[str, Any]], **fields: Any) -> Any:
        return await self.factory.schedule(self.tenant, actions=actions, **fields)

    async def post_lead(self, schedule: Any, **params: Any) -> dict[str, Any]:
        params.setdefault("caller_id", "+12125550123")
        response = await self.client.post(
            "/api/v1/leads", json={"lead_token": schedule.leads_api_key, **params}
        )
        assert response.status_code == 200, response.text
        lead: dict[str, Any] = response.json()["lead"]
        return lead

    async def work(self) -> int:
        """Run every job until a whole round finds nothing due."""
        total = 0
        for _ in range(50):
            done = 0
            for job in self.jobs:
                done += await job(state_of(self.app).worker_context)
            total += done
            if done == 0:
                # Sends that left beside the rounds (webhook actions) are recorded too.
                for job in self.jobs:
                    settle = getattr(job, "settle", None)
                    if settle is not None:
                        await settle()
                return total
        raise AssertionError("the worker never ran out of due work")

    async def lead(self, lead_id: int) -> Lead:
        async with state_of(self.app).sessionmaker() as session:
            found = await session.get(Lead, lead_id)
            assert found is not None
            return found

    async def timeline(self, lead_id: int) -> list[str]:
        async with state_of(self.app).sessionmaker() as session:
            rows = await session.scalars(
                select(LeadEvent.kind).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
            )
            return list(rows)

    async def calls(self, lead_id: int) -> list[Call]:
        async with state_of(self.app).sessionmaker() as session:
            rows = await session.scalars(
                select(Call).where(Call.lead_id == lead_id).order_by(Call.id)
            )
            return list(rows)

    async def messages(self, lead_id: int) -> list[Message]:
        async with state_of(self.app).sessionmaker() as session:
            rows = await session.scalars(
                select(Message).where(Message.lead_id == lead_id).order_by(Message.id)
            )
            return list(rows)


@pytest.fixture
async def cadence(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Cadence:
    tenant = await factory.tenant()
    return Cadence(app, client, factory, tenant, default_jobs())
