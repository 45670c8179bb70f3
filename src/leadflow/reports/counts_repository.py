"""What writes the report counters, apart from the database's triggers: the fold of new
leads waiting in ``report_pending_leads`` (``leadflow.reports.pending``) and the recount of
``leadflow reports rebuild``."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from leadflow.models import Company, ReportPendingLead
from leadflow.reports.recount_sql import pending_lead_statements


async def leads_waiting(session: AsyncSession, company_id: int) -> bool:
    """Whether any new lead of the company waits to be counted (a read: it takes no write
    lock)."""
    waiting = select(ReportPendingLead).where(ReportPendingLead.company_id == company_id)
    found = await session.scalar(select(exists(waiting)))
    return bool(found)


@lru_cache(maxsize=4)
def _statements(dialect: str, scope: str) -> tuple[str, ...]:
    taken = (
        f"l.id IN (SELECT lead_id FROM report_pending_leads WHERE lead_id <= :top AND {scope})"
        if dialect == "sqlite"
        else "l.id = ANY(CAST(:ids AS BIGINT[]))"
    )
    return tuple(pending_lead_statements(dialect, taken))


async def fold_pending(
    connection: AsyncConnection, limit: int, company_id: int | None = None
) -> int:
    """Count up to ``limit`` waiting leads (the oldest; of ``company_id`` only, if given) and
    take them off the queue; how many.

    SQLite has one writer, so the ids up to the ``limit``-th are counted, then deleted.
    PostgreSQL takes them off first (``DELETE … RETURNING``, the rows locked, a concurrent
    fold waited for) and counts what it took: an intake transaction that commits meanwhile
    adds ids the next fold finds."""
    scope = "1 = 1" if company_id is None else "company_id = :company"
    company = {} if company_id is None else {"company": company_id}
    if connection.dialect.name == "sqlite":
        top = await connection.scalar(
            text(
                "SELECT max(lead_id) FROM (SELECT lead_id FROM report_pending_leads "
                f"WHERE {scope} ORDER BY lead_id LIMIT :limit) AS head"
            ),
            {"limit": limit, **company},
        )
        if top is None:
            return 0
        for statement in _statements("sqlite", scope):
            await connection.execute(text(statement), {"top": top, **company})
        deleted = await connection.execute(
            text(f"DELETE FROM report_pending_leads WHERE lead_id <= :top AND {scope}"),
            {"top": top, **company},
        )
        return int(deleted.rowcount)
    taken = await connection.execute(
        text(
            "DELETE FROM report_pending_leads WHERE lead_id IN (SELECT lead_id FROM "
            f"report_pending_leads WHERE {scope} ORDER BY lead_id LIMIT :limit FOR UPDATE) "
            "RETURNING lead_id"
        ),
        {"limit": limit, **company},
    )
    ids = [row[0] for row in taken]
    if ids:
        for statement in _statements(connection.dialect.name, ""):
            await connection.execute(text(statement), {"ids": ids})
    return len(ids)


async def company_ids(session: AsyncSession) -> list[int]:
    return [int(i) for i in (await session.scalars(select(Company.id).order_by(Company.id)))]


async def clear_counters(session: AsyncSession, company_id: int) -> None:
    """Delete the company's blocks (the deletes of counters then skip them), its counters,
    then its hourly roll-up (which the counters' delete has taken to zero unless it was
    damaged): the recount that follows rolls up afresh. Its pending leads go too: the recount
    counts every lead."""
    await session.execute(
        text("DELETE FROM report_pending_leads WHERE company_id = :company"),
        {"company": company_id},
    )
    for table in ("report_source_blocks", "report_counters", "report_totals"):
        await session.execute(
            text(f"DELETE FROM {table} WHERE company_id = :company"), {"company": company_id}
        )


async def recount(session: AsyncSession, statement: str, company_id: int) -> None:
    await session.execute(text(statement), {"company": company_id})
