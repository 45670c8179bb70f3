"""Reads of the import history (the web page's table); the lists in force come from the
registry, which every process keeps."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import DncImport


async def recent_imports(session: AsyncSession, limit: int = 20) -> Sequence[DncImport]:
    """The latest imports of every list, newest first."""
    rows = await session.scalars(select(DncImport).order_by(DncImport.id.desc()).limit(limit))
    return rows.all()
