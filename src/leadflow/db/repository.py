"""The shared shape of a company-scoped repository: every query is filtered by company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models.base import Base

ModelT = TypeVar("ModelT", bound=Base)

# Ids are BIGINT: a longer number in a URL names no row (and must not reach the driver).
MAX_ID = 2**63 - 1


class CompanyRepository(Generic[ModelT]):
    """Subclasses set ``model``; rows of other companies are invisible through it."""

    model: type[ModelT]

    def __init__(self, session: AsyncSession, company_id: int) -> None:
        self.session = session
        self.company_id = company_id

    def scoped(self) -> Select[ModelT]:
        return select(self.model).where(self.model.company_id == self.company_id)  # type: ignore[attr-defined]

    async def get(self, ref: str | int) -> ModelT | None:
        """By numeric id or, where the model has one, by uuid."""
        column: Any
        value: int | str
        text = str(ref)
        if text.isascii() and text.isdigit():
            if not 0 < int(text) <= MAX_ID:
                return None
            column, value = self.model.id, int(text)  # type: ignore[attr-defined]
        elif hasattr(self.model, "uuid"):
            column, value = self.model.uuid, text  # type: ignore[attr-defined]
        else:
            return None
        return (await self.session.scalars(self.scoped().where(column == value))).first()

    async def list(self, limit: int = 500) -> Sequence[ModelT]:
        stmt = self.scoped().order_by(self.model.id).limit(limit)  # type: ignore[attr-defined]
        return (await self.session.scalars(stmt)).all()

    def add(self, row: ModelT) -> None:
        self.session.add(row)

    async def delete(self, row: ModelT) -> None:
        await self.session.delete(row)
