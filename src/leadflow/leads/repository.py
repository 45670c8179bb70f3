"""Lead queries. Intake runs inside a group-commit batch on a bare connection, so these are
SQLAlchemy Core statements: no identity map, no flush, a few microseconds each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.models import (
    Call,
    Lead,
    LeadEvent,
    LeadStatus,
    Number,
    Offer,
    Schedule,
    TrafficSource,
)

leads = cast(Table, Lead.__table__)
events = cast(Table, LeadEvent.__table__)
calls = cast(Table, Call.__table__)
numbers = cast(Table, Number.__table__)
# Ids are BIGINT: a larger number names no row, and must not reach the driver.
MAX_ROW_ID = 2**63 - 1


async def owner_row(conn: AsyncConnection, lead_token: str) -> RowMapping | None:
    """The schedule, else the offer, whose ``leads_api_key`` is ``lead_token``."""
    schedule = (
        (
            await conn.execute(
                select(
                    Schedule.company_id,
                    Schedule.offer_id,
                    Schedule.id.label("schedule_id"),
                    Schedule.schedule_type,
                    Schedule.paused,
                    Schedule.lead_duplicate_timeframe,
                ).where(Schedule.leads_api_key == lead_token)
            )
        )
        .mappings()
        .first()
    )
    if schedule is not None:
        return schedule
    return (
        (
            await conn.execute(
                select(Offer.company_id, Offer.id.label("offer_id")).where(
                    Offer.leads_api_key == lead_token
                )
            )
        )
        .mappings()
        .first()
    )


async def company_region(conn: AsyncConnection, company_id: int) -> str:
    from leadflow.models import Company

    region = await conn.scalar(select(Company.default_region).where(Company.id == company_id))
    return region or "US"


async def traffic_source_id(conn: AsyncConnection, company_id: int, ref: str) -> int | None:
    """By our id, or by the publisher's own ``user_traffic_source_id``."""
    scoped = select(TrafficSource.id).where(TrafficSource.company_id == company_id)
    if ref.isascii() and ref.isdigit() and int(ref) <= MAX_ROW_ID:
        found = await conn.scalar(scoped.where(TrafficSource.id == int(ref)))
        if found is not None:
            return int(found)
    found = await conn.scalar(scoped.where(TrafficSource.user_traffic_source_id == ref))
    return int(found) if found is not None else None


def _scope(company_id: int, offer_id: int, schedule_id: int | None, caller_id: str) -> Any:
    owner = (
        leads.c.schedule_id == schedule_id
        if schedule_id is not None
        else and_(leads.c.offer_id == offer_id, leads.c.schedule_id.is_(None))
    )
    return and_(leads.c.company_id == company_id, leads.c.caller_id == caller_id, owner)


async def leads_in_scope(
    conn: AsyncConnection,
    company_id: int,
    offer_id: int,
    schedule_id: int | None,
    caller_id: str,
    *,
    live_only: bool = True,
    created_since: datetime | None = None,
) -> Sequence[RowMapping]:
    """The owner's leads for this caller, newest first."""
    stmt = select(leads).where(_scope(company_id, offer_id, schedule_id, caller_id))
    if live_only:
        stmt = stmt.where(leads.c.status.in_(LeadStatus.LIVE))
    if created_since is not None:
        stmt = stmt.where(leads.c.created_at >= created_since)
    return (await conn.execute(stmt.order_by(leads.c.id.desc()))).mappings().all()


async def leads_of_offer(
    conn: AsyncConnection, company_id: int, offer_id: int, caller_id: str
) -> Sequence[RowMapping]:
    stmt = select(leads).where(
        leads.c.company_id == company_id,
        leads.c.offer_id == offer_id,
        leads.c.caller_id == caller_id,
    )
    return (await conn.execute(stmt.order_by(leads.c.id.desc()))).mappings().all()


async def live_leads_of_number(
    conn: AsyncConnection, company_id: int, caller_id: str
) -> Sequence[RowMapping]:
    stmt = select(leads).where(
        leads.c.company_id == company_id,
        leads.c.caller_id == caller_id,
        leads.c.status.in_(LeadStatus.LIVE),
    )
    return (await conn.execute(stmt)).mappings().all()


async def insert_lead(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(leads).values(**values).returning(leads.c.id))
    return int(result.scalar_one())


async def update_lead(conn: AsyncConnection, lead_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(leads).where(leads.c.id == lead_id).values(**values))


async def delete_leads(conn: AsyncConnection, lead_ids: Sequence[int]) -> None:
    if lead_ids:
        await conn.execute(delete(leads).where(leads.c.id.in_(lead_ids)))


async def add_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(events), rows)


async def merge_call_tokens(
    conn: AsyncConnection, lead_ids: Sequence[int], tokens: dict[str, Any]
) -> int:
    """Give the lead's calls the tokens just received (``apply_to=calls``)."""
    rows = (
        await conn.execute(select(calls.c.id, calls.c.tokens).where(calls.c.lead_id.in_(lead_ids)))
    ).all()
    for call_id, existing in rows:
        await conn.execute(
            update(calls).where(calls.c.id == call_id).values(tokens={**existing, **tokens})
        )
    return len(rows)


async def pool_number(conn: AsyncConnection, company_id: int, capability: str) -> RowMapping | None:
    """The company's number with ``capability`` carrying the fewest leads."""
    column = leads.c.trackdrive_number_id if capability == "voice" else leads.c.sms_number_id
    load = select(func.count()).where(column == numbers.c.id).scalar_subquery()
    rows = (
        (
            await conn.execute(
                select(numbers.c.id, numbers.c.number, numbers.c.capabilities)
                .where(numbers.c.company_id == company_id)
                .order_by(load, numbers.c.id)
            )
        )
        .mappings()
        .all()
    )
    return next((row for row in rows if capability in row["capabilities"]), None)


async def number_plain(conn: AsyncConnection, number_id: int | None) -> str | None:
    if number_id is None:
        return None
    value = await conn.scalar(select(numbers.c.number).where(numbers.c.id == number_id))
    return str(value) if value is not None else None
