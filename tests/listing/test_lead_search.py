"""Lead full text reads migration 0002's index (FTS5 on SQLite, pg_trgm on PostgreSQL), which
the database keeps up to date on every insert, update and delete of a lead."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url

from leadflow.clock import FrozenClock
from leadflow.kit.fulltext import LeadSearchIndex, search_terms
from leadflow.kit.listing import ListSpec, fetch, list_query
from leadflow.models import Lead
from tests.factories import Factory, Tenant


class LeadRow(BaseModel):
    id: int
    caller_id: str | None
    created_at: datetime


LEADS = ListSpec(model=Lead, serializers={"lead": LeadRow}, fulltext=LeadSearchIndex())


async def _lead(factory: Factory, tenant: Tenant, clock: FrozenClock, **fields: Any) -> int:
    offer = await factory.offer(tenant)
    async with factory.sessionmaker() as session:
        lead = Lead(
            company_id=tenant.company.id,
            offer_id=offer.id,
            created_at=clock.now(),
            updated_at=clock.now(),
            **fields,
        )
        session.add(lead)
        await session.commit()
        return lead.id


async def _search(factory: Factory, tenant: Tenant, text: str) -> list[int]:
    """The filter on its own, applied to a ``select(Lead)``."""
    async with factory.sessionmaker() as session:
        dialect = session.get_bind().dialect.name
        match = LeadSearchIndex().match(Lead, search_terms(text), dialect)
        stmt = select(Lead.id).where(Lead.company_id == tenant.company.id, match.clause)
        return list((await session.scalars(stmt.order_by(Lead.id))).all())


async def _run(factory: Factory, statement: Any) -> None:
    async with factory.sessionmaker() as session:
        await session.execute(statement)
        await session.commit()


async def test_a_lead_is_found_by_caller_id_digits_in_any_format(
    factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    wanted = await _lead(factory, tenant, clock, caller_id="+17193132645")
    await _lead(factory, tenant, clock, caller_id="+18004506787")
    for text in ("7193132645", "(719) 313-2645", "+1 719 313 2645", "17193132645"):
        assert await _search(factory, tenant, text) == [wanted], text


async def test_a_lead_is_found_by_e_mail_whole_or_in_part(
    factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    wanted = await _lead(factory, tenant, clock, email="jane.roe@example.com")
    await _lead(factory, tenant, clock, email="john.doe@example.org")
    assert await _search(factory, tenant, "jane.roe@example.com") == [wanted]
    assert await _search(factory, tenant, "Jane") == [wanted]


async def test_a_lead_is_found_by_a_token_value_and_its_sub_id(
    factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    wanted = await _lead(
        factory, tenant, clock, tokens={"city": "Springfield", "zip": "62704"}, sub_id="fb-77"
    )
    await _lead(factory, tenant, clock, tokens={"city": "Shelbyville"})
    assert await _search(factory, tenant, "springfield") == [wanted]
    assert await _search(factory, tenant, "62704") == [wanted]
    assert await _search(factory, tenant, "fb-77") == [wanted]
    assert await _search(factory, tenant, "springfield 62704") == [wanted]
    assert await _search(factory, tenant, "springfield 99999") == []


async def test_changed_tokens_are_searchable_at_once_and_the_old_ones_are_not(
    factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant, clock, tokens={"city": "Springfield"})
    await _run(factory, update(Lead).where(Lead.id == lead).values(tokens={"city": "Ogdenville"}))
    assert await _search(factory, tenant, "ogdenville") == [lead]
    assert await _search(factory, tenant, "springfield") == []


async def test_a_deleted_lead_is_no_longer_found(factory: Factory, clock: FrozenClock) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant, clock, caller_id="+17193132645")
    await _run(factory, delete(Lead).where(Lead.id == lead))
    assert await _search(factory, tenant, "7193132645") == []


async def test_another_companys_leads_are_never_found(factory: Factory, clock: FrozenClock) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    await _lead(factory, theirs, clock, email="jane.roe@example.com")
    assert await _search(factory, mine, "jane.roe@example.com") == []


async def test_the_listing_pages_and_counts_full_text_hits(
    factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    smiths = [await _lead(factory, tenant, clock, tokens={"last_name": "Smith"}) for _ in range(3)]
    await _lead(factory, tenant, clock, tokens={"last_name": "Jones"})
    async with factory.sessionmaker() as session:
        base = select(Lead).where(Lead.company_id == tenant.company.id)
        first = await fetch(session, LEADS, list_query(fulltext="smith", per_page=2), base)
        walked = await fetch(session, LEADS, list_query(fulltext="smith", cursor=smiths[0]), base)
    assert [row.id for row in first.items] == smiths[:2]  # type: ignore[attr-defined]
    assert first.metadata["total_count"] == 3
    assert [row.id for row in walked.items] == smiths[1:]  # type: ignore[attr-defined]
    assert walked.metadata["next_cursor"] == 0


async def _index_is_consistent(factory: Factory) -> None:
    """FTS5's own check of an external-content index against the rows it indexes."""
    async with factory.sessionmaker() as session:
        if session.get_bind().dialect.name != "sqlite":
            return
        await session.execute(
            sql_text("INSERT INTO leads_fts (leads_fts) VALUES ('integrity-check')")
        )
        await session.commit()


async def test_a_lead_changed_before_its_transaction_ends_is_found_by_its_last_values(
    factory: Factory, clock: FrozenClock
) -> None:
    """New leads are indexed once, as their transaction commits: whatever the transaction did
    to them before that is what search finds."""
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    async with factory.sessionmaker() as session:
        lead = Lead(
            company_id=tenant.company.id,
            offer_id=offer.id,
            tokens={"city": "Springfield"},
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        gone = Lead(
            company_id=tenant.company.id,
            offer_id=offer.id,
            tokens={"city": "Capital City"},
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add_all([lead, gone])
        await session.flush()
        await session.execute(
            update(Lead).where(Lead.id == lead.id).values(tokens={"city": "Ogdenville"})
        )
        await session.execute(delete(Lead).where(Lead.id == gone.id))
        await session.commit()
    assert await _search(factory, tenant, "ogdenville") == [lead.id]
    assert await _search(factory, tenant, "springfield") == []
    assert await _search(factory, tenant, "capital") == []
    await _index_is_consistent(factory)


async def test_a_lead_another_program_wrote_is_found_after_the_next_transaction(
    factory: Factory, clock: FrozenClock, database_url: str
) -> None:
    """Another program's lead is indexed by Leadflow's next transaction (on SQLite, where the
    index is ours to keep; PostgreSQL indexes every row itself)."""
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    columns = (
        "uuid, company_id, offer_id, caller_id, status, tokens, action_index, contact_attempts,"
        " calls_placed, calls_connected, created_at, updated_at"
    )
    if database_url.startswith("sqlite"):
        other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
        other.execute(
            f"INSERT INTO leads ({columns}) VALUES ('raw-lead', ?, ?, '+17193132645', 'waiting',"
            " '{}', 0, 0, 0, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            (tenant.company.id, offer.id),
        )
        other.close()
    else:
        other_pg = await asyncpg.connect(database_url)
        await other_pg.execute(
            f"INSERT INTO leads ({columns}) VALUES ('raw-lead', $1, $2, '+17193132645',"
            " 'waiting', '{}', 0, 0, 0, 0, now(), now())",
            tenant.company.id,
            offer.id,
        )
        await other_pg.close()
    await factory.offer(tenant)  # any transaction of Leadflow's
    assert len(await _search(factory, tenant, "7193132645")) == 1
    await _index_is_consistent(factory)
