"""``leadflow reports rebuild``: recount every company's counters from its rows, for
recovery (a database restored from a copy taken mid-write, counters edited by hand).

One transaction per company: its counters are deleted and recounted together, so a report
read meanwhile sees the old counts or the new ones, never a half. Duplicates and opt-outs
are events the tables keep only in part (a deleted lead's events go with it), so a rebuild
counts the ones that are still there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.reports import counts_repository, repository


async def steps(sessionmaker: async_sessionmaker[AsyncSession], company_id: int | None) -> int:
    """How many steps :func:`rebuild` will report (for the progress bar)."""
    async with sessionmaker() as session:
        companies = await _companies(session, company_id)
        dialect = session.get_bind().dialect.name
    return len(companies) * len(repository.rebuild_statements(dialect))


async def rebuild(
    sessionmaker: async_sessionmaker[AsyncSession],
    company_id: int | None = None,
    advance: Callable[[str], None] = lambda what: None,
) -> int:
    """Recount the company's counters (every company's when ``None``); the companies done."""
    async with sessionmaker() as session:
        companies = await _companies(session, company_id)
    for company in companies:
        async with sessionmaker() as session:
            statements = repository.rebuild_statements(session.get_bind().dialect.name)
            await counts_repository.clear_counters(session, company)
            for what, statement in statements:
                await counts_repository.recount(session, statement, company)
                advance(what)
            await session.commit()
    return len(companies)


async def _companies(session: AsyncSession, company_id: int | None) -> list[int]:
    found = await counts_repository.company_ids(session)
    return [c for c in found if company_id is None or c == company_id]


def rebuild_now(database_url: str, company_id: int | None) -> int:
    """The command's body: a progress bar on the terminal while each table is recounted."""

    async def main() -> int:
        engine = create_engine(database_url, 1)
        try:
            sessionmaker = make_sessionmaker(engine)
            total = await steps(sessionmaker, company_id)
            if total == 0 and company_id is not None:
                # A mistyped id would otherwise "rebuild 0 companies" and succeed.
                raise typer.BadParameter(
                    f"no company has the id {company_id}", param_hint="--company"
                )
            with typer.progressbar(length=total, label="Recounting") as bar:
                return await rebuild(sessionmaker, company_id, lambda what: bar.update(1))
        finally:
            await engine.dispose()

    return asyncio.run(main())
