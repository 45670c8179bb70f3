"""ORM queries behind the calls API: one call, its events, the listing's scoped query, the
stats' grouped sums and the conversion of a call's lead.

Every query is filtered by the company, so another company's call is a 404, never a leak.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, cast, func, literal, select, update

from leadflow.calls.stats import ENTITY_GROUPS, SUB_ID, Bucket, group_parts
from leadflow.db.repository import CompanyRepository
from leadflow.models import (
    Call,
    CallEvent,
    CallStatus,
    Company,
    Lead,
    LeadStatus,
    Offer,
    Schedule,
    ScheduledCallback,
    TrafficSource,
)

_NAMED: Mapping[str, Any] = {"offer": Offer, "schedule": Schedule, "traffic_source": TrafficSource}


class CallRepository(CompanyRepository[Call]):
    model = Call

    def listed(
        self,
        *,
        in_progress: bool | None = None,
        status: str | None = None,
        direction: str | None = None,
        **ids: int | None,
    ) -> Select[Any]:
        """The company's calls narrowed by the list filters (``lead_id``, ``offer_id`` and
        the other id filters come in ``ids``); paging and dates are the listing's."""
        stmt = self.scoped()
        if in_progress is not None:
            final = Call.status.in_(sorted(CallStatus.FINAL))
            stmt = stmt.where(~final if in_progress else final)
        if status is not None:
            stmt = stmt.where(Call.status == status)
        if direction is not None:
            stmt = stmt.where(Call.direction == direction)
        for name, value in ids.items():
            if value is not None:
                stmt = stmt.where(getattr(Call, name) == value)
        return stmt

    async def events(self, call_id: int) -> Sequence[CallEvent]:
        """The call's history, oldest first."""
        stmt = (
            select(CallEvent)
            .where(CallEvent.company_id == self.company_id, CallEvent.call_id == call_id)
            .order_by(CallEvent.id)
        )
        return (await self.session.scalars(stmt)).all()

    def add_event(self, call: Call, kind: str, data: dict[str, Any], now: datetime) -> None:
        self.session.add(
            CallEvent(
                company_id=self.company_id, call_id=call.id, kind=kind, data=data, created_at=now
            )
        )

    async def lead(self, lead_id: int | None, *, fresh: bool = False) -> Lead | None:
        """The company's lead; ``fresh`` re-reads it after an ``UPDATE`` made here."""
        if lead_id is None:
            return None
        stmt = select(Lead).where(Lead.company_id == self.company_id, Lead.id == lead_id)
        if fresh:
            stmt = stmt.execution_options(populate_existing=True)
        return (await self.session.scalars(stmt)).first()

    async def convert_lead(self, lead_id: int, now: datetime) -> bool:
        """Mark the lead ``completed_converted`` and stop its cadence; False when it already
        was (the check is in the ``UPDATE``, so two converting requests convert it once).
        A lead that had ended keeps the time it ended."""
        stmt = (
            update(Lead)
            .where(
                Lead.company_id == self.company_id,
                Lead.id == lead_id,
                Lead.status != LeadStatus.COMPLETED_CONVERTED,
            )
            .values(
                status=LeadStatus.COMPLETED_CONVERTED,
                next_action_at=None,
                ended_at=func.coalesce(Lead.ended_at, now),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def cancel_callbacks(self, lead_id: int, now: datetime) -> None:
        """A callback promised to a lead that converted is never placed."""
        await self.session.execute(
            update(ScheduledCallback)
            .where(
                ScheduledCallback.company_id == self.company_id,
                ScheduledCallback.lead_id == lead_id,
                ScheduledCallback.status == "scheduled",
            )
            .values(status="canceled", updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def company_time_zone(self) -> str:
        stmt = select(Company.time_zone).where(Company.id == self.company_id)
        return str(await self.session.scalar(stmt) or "UTC")

    def _group_key(self, group_by: str, time_zone: str) -> ColumnElement[Any]:
        if group_by == "status":
            return Call.__table__.c.status
        if group_by in ENTITY_GROUPS:
            column: ColumnElement[Any] = getattr(Call, ENTITY_GROUPS[group_by])
            return column
        if group_by == SUB_ID:
            return Lead.__table__.c.sub_id
        if self.session.get_bind().dialect.name == "postgresql":
            return func.to_char(func.timezone(time_zone, Call.created_at), "YYYY-MM-DD")
        # SQLite keeps '2026-01-05 15:07:09.000000' (UTC): the quarter hour it falls in.
        minute = cast(func.substr(Call.created_at, 15, 2), Integer) // 15 * 15
        return func.substr(Call.created_at, 1, 14).op("||")(func.printf("%02d", minute))

    async def stat_buckets(
        self,
        group_by: str,
        time_zone: str,
        created_at_from: datetime | None,
        created_at_to: datetime | None,
    ) -> list[Bucket]:
        """Calls, revenue and payout (cents) per group of the company's calls created in the
        range; ``created_at_day`` groups are UTC quarter hours on SQLite (see stats)."""
        parts = group_parts(group_by)
        keys = [self._group_key(part, time_zone).label(f"key{i}") for i, part in enumerate(parts)]
        stmt = select(
            *keys,
            func.count().label("calls"),
            func.coalesce(func.sum(Call.revenue_cents), literal(0)).label("revenue"),
            func.coalesce(func.sum(Call.payout_cents), literal(0)).label("payout"),
        ).where(Call.company_id == self.company_id)
        if SUB_ID in parts:  # the sub_id is the call's lead's
            stmt = stmt.select_from(Call).outerjoin(Lead, Lead.id == Call.lead_id)
        if created_at_from is not None:
            stmt = stmt.where(Call.created_at >= created_at_from)
        if created_at_to is not None:
            stmt = stmt.where(Call.created_at <= created_at_to)
        rows = (await self.session.execute(stmt.group_by(*keys))).all()
        return [
            Bucket(
                row[0] if len(keys) == 1 else tuple(row[: len(keys)]),
                int(row.calls),
                int(row.revenue),
                int(row.payout),
            )
            for row in rows
        ]

    async def names(self, group_by: str, ids: Sequence[int]) -> dict[int, str]:
        """The names of the company's offers, schedules or traffic sources among ``ids``."""
        model = _NAMED.get(group_by)
        if model is None or not ids:
            return {}
        stmt = select(model.id, model.name).where(
            model.company_id == self.company_id, model.id.in_(ids)
        )
        return {int(row.id): str(row.name) for row in (await self.session.execute(stmt)).all()}
