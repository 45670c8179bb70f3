from __future__ import annotations

from sqlalchemy import func, select

from leadflow.db.repository import CompanyRepository
from leadflow.models import Lead, Number


class NumberRepository(CompanyRepository[Number]):
    model = Number

    async def exists(self, number: str) -> bool:
        stmt = self.scoped().where(Number.number == number)
        return (await self.session.scalars(stmt)).first() is not None

    async def least_assigned(self, capability: str) -> Number | None:
        """The pool member with the fewest leads on it, so assignments spread evenly."""
        column = Lead.trackdrive_number_id if capability == "voice" else Lead.sms_number_id
        load = (
            select(func.count(Lead.id))
            .where(column == Number.id)
            .correlate(Number)
            .scalar_subquery()
        )
        rows = (await self.session.scalars(self.scoped().order_by(load, Number.id))).all()
        return next((n for n in rows if capability in n.capabilities), None)
