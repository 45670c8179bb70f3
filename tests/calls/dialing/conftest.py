from __future__ import annotations

from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from leadflow.app_state import state_of
from leadflow.channels.simulated import SimulatedVoice
from leadflow.models import Company, Distribution, Schedule
from leadflow.models.base import Base
from leadflow.settings import Settings
from tests.factories import Factory, Tenant
from tests.telephony.builders import Builder

PATH = "/api/v1/schedules/make_call"
ModelT = TypeVar("ModelT", bound=Base)
DEFAULT_CALLER_ID = "+18005550100"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A From number for every call (make_call refuses a call without one: ``no_caller_id``)."""
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        default_caller_id=DEFAULT_CALLER_ID,
    )


@pytest.fixture
def build(factory: Factory) -> Builder:
    return Builder(factory)


@pytest.fixture
def voice(app: FastAPI) -> SimulatedVoice:
    channel = state_of(app).worker_context.channels.voice
    assert isinstance(channel, SimulatedVoice)
    return channel


async def make_call(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(PATH, json=body, headers=tenant.auth)


async def add(factory: Factory, row: ModelT) -> ModelT:
    async with factory.sessionmaker() as session:
        session.add(row)
        await session.commit()
    return row


async def set_calls_per_second(factory: Factory, tenant: Tenant, limit: int) -> None:
    async with factory.sessionmaker() as session:
        await session.execute(
            update(Company).where(Company.id == tenant.company.id).values(calls_per_second=limit)
        )
        await session.commit()


async def distribution(
    factory: Factory,
    router: Schedule,
    target: Schedule,
    conditions: list[dict[str, Any]],
    priority: int = 0,
) -> Distribution:
    now = factory.clock.now()
    return await add(
        factory,
        Distribution(
            company_id=router.company_id,
            schedule_id=router.id,
            target_schedule_id=target.id,
            priority=priority,
            conditions=conditions,
            created_at=now,
            updated_at=now,
        ),
    )
