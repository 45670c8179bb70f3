"""Reads of the import history (the web page's table); the lists in force come from the
registry, which every process keeps."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import Company, DncImport


async def recent_imports(session: AsyncSession, limit: int = 20) -> Sequence[DncImport]:
    """The latest imports of every list, newest first."""
    rows = await session.scalars(select(DncImport).order_by(DncImport.id.desc()).limit(limit))
    return rows.all()


async def companies_counted(session: AsyncSession, up_to: int = 2) -> int:
    """How many companies exist, counted no further than ``up_to``: who may change the shared
    lists depends only on whether there is one (``dnc.authority``)."""
    rows = await session.scalars(select(Company.id).limit(up_to))
    return len(rows.all())
