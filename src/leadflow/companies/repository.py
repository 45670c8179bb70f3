from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import ApiKey, Company


class CompanyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: int) -> Company | None:
        return await self.session.get(Company, company_id)

    async def first(self) -> Company | None:
        return (await self.session.scalars(select(Company).order_by(Company.id).limit(1))).first()

    async def key_by_public(self, public_key: str) -> ApiKey | None:
        stmt = select(ApiKey).where(ApiKey.public_key == public_key)
        return (await self.session.scalars(stmt)).first()

    def add(self, row: Company | ApiKey) -> None:
        self.session.add(row)
