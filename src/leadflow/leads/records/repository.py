"""ORM queries behind the lead resource endpoints (list, show, update, delete).

Intake keeps its plain-SQL repository for the hot path; these endpoints read and change one
lead at a time, so they go through the ORM session. Contact state is written with the contacts
repository's own upsert, on this session's connection, so a block or opt-out here means exactly
what it means at intake.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.contacts import repository as contacts
from leadflow.db.repository import CompanyRepository
from leadflow.db.statements import ConnectionSql
from leadflow.models import (
    Contact,
    Lead,
    LeadCount,
    LeadEvent,
    LeadStatus,
    Number,
    TrafficSource,
)


class LeadRecordRepository(CompanyRepository[Lead]):
    model = Lead

    async def kept_count(self) -> int | None:
        """The company's lead count as SQLite's triggers keep it; None on PostgreSQL, which
        counts (see migration 0003)."""
        if self.session.get_bind().dialect.name != "sqlite":
            return None
        stmt = select(LeadCount.count).where(LeadCount.company_id == self.company_id)
        return int(await self.session.scalar(stmt) or 0)

    async def events(self, lead_id: int) -> Sequence[LeadEvent]:
        """The lead's timeline, oldest first."""
        stmt = (
            select(LeadEvent)
            .where(LeadEvent.company_id == self.company_id, LeadEvent.lead_id == lead_id)
            .order_by(LeadEvent.id)
        )
        return (await self.session.scalars(stmt)).all()

    def add_event(self, lead: Lead, kind: str, data: dict[str, Any], now: datetime) -> None:
        self.session.add(
            LeadEvent(
                company_id=self.company_id, lead_id=lead.id, kind=kind, data=data, created_at=now
            )
        )

    async def contact(self, number: str | None) -> Contact | None:
        if number is None:
            return None
        stmt = (
            select(Contact)
            .where(Contact.company_id == self.company_id, Contact.number == number)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).first()

    async def owns_traffic_source(self, traffic_source_id: int) -> bool:
        stmt = select(TrafficSource.id).where(
            TrafficSource.company_id == self.company_id, TrafficSource.id == traffic_source_id
        )
        return (await self.session.scalar(stmt)) is not None

    async def number_plain(self, number_id: int | None) -> str | None:
        if number_id is None:
            return None
        stmt = select(Number.number).where(
            Number.company_id == self.company_id, Number.id == number_id
        )
        return await self.session.scalar(stmt)

    async def set_contact_state(self, number: str, now: datetime, **state: Any) -> None:
        """The company-wide state of a number (blocked, opt_out, ...), created if new."""
        company_id = self.company_id

        def upsert(sync_session: Session) -> None:
            sql = ConnectionSql(sync_session.connection())
            contacts.set_contact_state(sql, company_id, number, now, **state)

        await self.session.run_sync(upsert)

    async def live_leads_of_number(self, number: str) -> Sequence[Lead]:
        stmt = (
            select(Lead)
            .where(
                Lead.company_id == self.company_id,
                Lead.caller_id == number,
                Lead.status.in_(LeadStatus.LIVE),
            )
            .order_by(Lead.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def end_live_leads_of_number(
        self, number: str, status: str, kind: str, now: datetime, by: str
    ) -> list[Lead]:
        """End every live lead of a blocked or opted-out number, as intake's
        ``caller_opt_out`` does, each with an event on its timeline."""
        ended = list(await self.live_leads_of_number(number))
        for lead in ended:
            lead.status, lead.next_action_at, lead.ended_at, lead.updated_at = (
                status,
                None,
                now,
                now,
            )
            self.add_event(lead, kind, {"by": by}, now)
        return ended
