"""Queries behind the scheduled callbacks API; every one is scoped to the company."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.db.repository import CompanyRepository
from leadflow.models import Company, Lead, LeadStatus, Schedule, ScheduledCallback


class ScheduledCallbackRepository(CompanyRepository[ScheduledCallback]):
    model = ScheduledCallback

    async def lead(self, ref: str | int) -> Lead | None:
        """The company's lead by id or uuid."""
        return await _LeadRefs(self.session, self.company_id).get(ref)

    async def schedule(self, ref: str | int) -> Schedule | None:
        return await _ScheduleRefs(self.session, self.company_id).get(ref)

    async def live_lead_in_schedule(self, schedule_id: int, number: str) -> Lead | None:
        """The newest live lead of the number in the schedule."""
        stmt = (
            select(Lead)
            .where(
                Lead.company_id == self.company_id,
                Lead.schedule_id == schedule_id,
                Lead.caller_id == number,
                Lead.status.in_(LeadStatus.LIVE),
            )
            .order_by(Lead.id.desc())
            .limit(1)
        )
        return (await self.session.scalars(stmt)).first()

    async def company_time_zone(self) -> str:
        stmt = select(Company.time_zone).where(Company.id == self.company_id)
        return (await self.session.scalar(stmt)) or "UTC"


class _LeadRefs(CompanyRepository[Lead]):
    model = Lead


class _ScheduleRefs(CompanyRepository[Schedule]):
    model = Schedule
