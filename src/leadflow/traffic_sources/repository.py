from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from leadflow.db.repository import CompanyRepository
from leadflow.models import TrafficSource


class TrafficSourceRepository(CompanyRepository[TrafficSource]):
    model = TrafficSource

    def listed(self, *, archived: bool) -> Select[TrafficSource]:
        """The company's active sources, or (``archived``) only its archived ones."""
        state = (
            TrafficSource.archived_at.is_not(None)
            if archived
            else TrafficSource.archived_at.is_(None)
        )
        return self.scoped().where(state)

    async def holder_of(self, user_traffic_source_id: str) -> TrafficSource | None:
        """The source (archived or not) that already answers to this publisher id."""
        stmt = self.scoped().where(TrafficSource.user_traffic_source_id == user_traffic_source_id)
        return (await self.session.scalars(stmt.limit(1))).first()

    async def names(self) -> dict[int, str]:
        """Every source's name, archived ones too: counts of past leads keep their source."""
        stmt = select(TrafficSource.id, TrafficSource.name).where(
            TrafficSource.company_id == self.company_id
        )
        return {row.id: row.name for row in await self.session.execute(stmt)}

    async def list(self, limit: int = 500) -> Sequence[TrafficSource]:
        """What the web app's list and pickers offer: active sources only, by id."""
        stmt = self.listed(archived=False).order_by(TrafficSource.id).limit(limit)
        return (await self.session.scalars(stmt)).all()
