"""Migration 0023 gives each lead waiting for the report fold its company, those already
waiting included, and its downgrade goes back to ids alone: on both engines, a lead inserted
after either step waits as it should."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.db.migrate import alembic_config, upgrade
from leadflow.demo import create_company_now
from leadflow.models import Offer
from leadflow.models.base import new_uuid
from tests.support.cli import empty_database

NOW = datetime(2026, 12, 8, tzinfo=UTC)
INSERT_LEAD = (
    "INSERT INTO leads (company_id, offer_id, caller_id, status, tokens, action_index, "
    "contact_attempts, calls_placed, calls_connected, uuid, created_at, updated_at) VALUES "
    "(:company, :offer, :caller, 'scheduled', '{}', 0, 0, 0, 0, :uuid, :now, :now)"
)


async def _run(url: str, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            found = await connection.execute(text(statement), params)
            return [tuple(row) for row in found] if found.returns_rows else []
    finally:
        await engine.dispose()


async def _lead(url: str, company: int, offer: int, caller: str) -> int:
    await _run(
        url,
        INSERT_LEAD,
        company=company,
        offer=offer,
        caller=caller,
        uuid=new_uuid(),
        now=NOW,
    )
    rows = await _run(url, "SELECT id FROM leads WHERE caller_id = :c", c=caller)
    return int(rows[0][0])


async def _offer(url: str, company: int) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            offer = Offer(
                company_id=company, name="Offer", leads_api_key="k", created_at=NOW, updated_at=NOW
            )
            session.add(offer)
            await session.commit()
            return offer.id
    finally:
        await engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_waiting_leads_get_their_company_and_lose_it_on_downgrade(
    engine: str, tmp_path: Path, postgres_server: str | None
) -> None:
    url = await empty_database(engine, tmp_path, postgres_server)
    upgrade(url)
    company = (await create_company_now(url, "Migrated")).company.id
    offer = await _offer(url, company)
    config = alembic_config(url)
    await asyncio.to_thread(command.downgrade, config, "0022")
    before = await _lead(url, company, offer, "+17193130001")
    assert await _run(url, "SELECT lead_id FROM report_pending_leads") == [(before,)]

    upgrade(url)
    after = await _lead(url, company, offer, "+17193130002")
    assert await _run(
        url, "SELECT lead_id, company_id FROM report_pending_leads ORDER BY lead_id"
    ) == [(before, company), (after, company)]

    await asyncio.to_thread(command.downgrade, config, "0022")
    again = await _lead(url, company, offer, "+17193130003")
    assert await _run(url, "SELECT lead_id FROM report_pending_leads ORDER BY lead_id") == [
        (before,),
        (after,),
        (again,),
    ]
