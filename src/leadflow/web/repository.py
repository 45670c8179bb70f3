"""Read queries only the web app asks: a lead's calls and messages for its timeline, and the
dashboard's counts. Everything else the pages show comes from the API packages' repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import Call, Lead, LeadEvent, Message


class WebRepository:
    def __init__(self, session: AsyncSession, company_id: int) -> None:
        self.session = session
        self.company_id = company_id

    async def lead_calls(self, lead_id: int) -> Sequence[Call]:
        stmt = (
            select(Call)
            .where(Call.company_id == self.company_id, Call.lead_id == lead_id)
            .order_by(Call.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def lead_messages(self, lead_id: int) -> Sequence[Message]:
        stmt = (
            select(Message)
            .where(Message.company_id == self.company_id, Message.lead_id == lead_id)
            .order_by(Message.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def leads_since_by(self, since: datetime, column: Any) -> list[tuple[Any, int]]:
        """Leads created since ``since``, counted per value of ``column`` (a Lead column)."""
        stmt = (
            select(column, func.count(Lead.id))
            .where(Lead.company_id == self.company_id, Lead.created_at >= since)
            .group_by(column)
            .order_by(func.count(Lead.id).desc())
        )
        return [(row[0], int(row[1])) for row in (await self.session.execute(stmt)).all()]

    async def lead_times_since(self, since: datetime) -> Sequence[datetime]:
        """Creation times of the leads since ``since``, bucketed by the caller (portable
        across SQLite and PostgreSQL, where hour truncation is spelt differently)."""
        stmt = select(Lead.created_at).where(
            Lead.company_id == self.company_id, Lead.created_at >= since
        )
        return (await self.session.scalars(stmt)).all()

    async def calls_since(self, since: datetime) -> tuple[int, int]:
        """Calls placed since ``since``, and how many of them were answered."""
        stmt = select(
            func.count(Call.id),
            func.count(Call.answered_at),
        ).where(
            Call.company_id == self.company_id,
            Call.created_at >= since,
            Call.direction == "outbound",
        )
        placed, connected = (await self.session.execute(stmt)).one()
        return int(placed), int(connected)

    async def recent_events(self, limit: int = 20) -> Sequence[LeadEvent]:
        stmt = (
            select(LeadEvent)
            .where(LeadEvent.company_id == self.company_id)
            .order_by(LeadEvent.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()
