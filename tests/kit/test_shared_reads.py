"""The per-process caches of lead tokens and key pairs: requests that miss them together
share one read of the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.app_state import state_of
from leadflow.db.engine import create_engine
from leadflow.kit.single_flight import ExpiringCache
from leadflow.leads.owner import OwnerCache
from leadflow.settings import Settings
from tests.factories import Factory


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    made = create_engine(settings.database_url)
    try:
        yield made
    finally:
        await made.dispose()


def _count_reads(engine: AsyncEngine, table: str) -> list[str]:
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if f"FROM {table}" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    return reads


def _count_schedule_reads(engine: AsyncEngine) -> list[str]:
    return _count_reads(engine, "schedules")


def _count_key_reads(engine: AsyncEngine) -> list[str]:
    return _count_reads(engine, "api_keys")


async def test_posts_that_miss_the_cache_together_share_one_read(
    engine: AsyncEngine, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    reads = _count_schedule_reads(engine)
    cache = OwnerCache(engine, ttl_seconds=60)
    owners = await asyncio.gather(*(cache.resolve(schedule.leads_api_key) for _ in range(20)))
    assert {owner.schedule_id for owner in owners} == {schedule.id}
    assert len(reads) == 1


async def test_a_post_that_goes_away_leaves_the_read_to_the_others(
    engine: AsyncEngine, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    cache = OwnerCache(engine, ttl_seconds=60)
    leaving = asyncio.create_task(cache.resolve(schedule.leads_api_key))
    staying = asyncio.create_task(cache.resolve(schedule.leads_api_key))
    await asyncio.sleep(0)
    leaving.cancel()
    owner = await staying
    assert owner.schedule_id == schedule.id
    assert leaving.cancelled()


async def test_an_owner_read_while_the_cache_was_cleared_is_not_kept(
    engine: AsyncEngine, factory: Factory
) -> None:
    """A token regenerated while it was being read must not stay cached under the old one."""
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    cache = OwnerCache(engine, ttl_seconds=60)
    reading = asyncio.create_task(cache.resolve(schedule.leads_api_key))
    await asyncio.sleep(0)
    cache.clear()
    await reading
    assert schedule.leads_api_key not in cache.owners.entries


async def test_requests_with_a_key_the_cache_misses_share_one_read(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory
) -> None:
    """The key pair cache behind Basic auth and X-API-Key shares reads the same way."""
    tenant = await factory.tenant()
    reads = _count_key_reads(state_of(app).read_sessionmaker.kw["bind"])  # read, not written
    answers = await asyncio.gather(
        *(client.get("/api/v1/offers", headers=tenant.auth) for _ in range(10))
    )
    assert {answer.status_code for answer in answers} == {200}
    assert len(reads) == 1


async def test_a_key_read_while_the_cache_was_cleared_is_not_kept() -> None:
    """A key revoked while it was being verified must not stay cached as valid."""
    cache: ExpiringCache[str, str] = ExpiringCache(ttl_seconds=60)
    release = asyncio.Event()

    async def verify() -> str:
        await release.wait()
        return "principal"

    reading = asyncio.create_task(cache.get_or_read("fingerprint", verify))
    await asyncio.sleep(0)
    cache.clear()
    release.set()

    assert await reading == "principal"  # its waiters still get their answer
    assert cache.get("fingerprint") is None
    assert await cache.get_or_read("fingerprint", verify) == "principal"
    assert cache.get("fingerprint") == "principal"
