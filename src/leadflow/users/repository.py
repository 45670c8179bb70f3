"""Queries on ``users``. E-mails are stored lowercased, so lookups lowercase too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_email(self, email: str) -> User | None:
        stmt = select(User).where(User.email == email.strip().lower())
        return (await self.session.scalars(stmt)).first()

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def first_of_company(self, company_id: int) -> User | None:
        stmt = select(User).where(User.company_id == company_id).order_by(User.id).limit(1)
        return (await self.session.scalars(stmt)).first()

    def add(self, user: User) -> None:
        self.session.add(user)

    async def touch_login(self, user_id: int, now: datetime) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(last_login_at=now))

    async def set_password_hash(self, user_id: int, password_hash: str, now: datetime) -> None:
        await self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=password_hash, updated_at=now)
        )
