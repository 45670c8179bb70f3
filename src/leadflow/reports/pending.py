"""New leads reach the report counters through ``report_pending_leads`` (migration 0022).

Intake's transaction writes a new lead and its id in ``report_pending_leads``, not the
counters: counting there ran an upsert per counter key for every group commit of about 32
leads, with the hourly roll-up's and the six blocks' upserts behind each, on the one path that
must be fast. The fold counts thousands of pending leads at once instead, one upsert per key.

Two things fold, so that a report is never behind the tables:

- the worker, once a second (:class:`FoldPendingLeads`), so the queue stays short;
- every report, before it reads (:func:`folded_read_session`): what the worker has not yet
  folded of the report's company is folded then, in a transaction of its own, and the report
  reads the counters as if each lead had been counted in its own transaction. Only its own
  company's (migration 0023): another company's import of a million rows is the worker's to
  count, not this report's to wait for.

A lead is counted once: the fold takes the ids out of the queue in the transaction that
counts them. The triggers that move or take away a lead's own counts leave a pending lead's
alone (it has none yet), and on PostgreSQL they lock its queue row, so a fold and a change to
the same lead take turns (migration 0022).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from leadflow.app_state import app_state
from leadflow.reports.counts_repository import fold_pending, leads_waiting
from leadflow.worker.periodic import Backlogged

if TYPE_CHECKING:
    from leadflow.worker.context import WorkerContext

BATCH = 5_000
"""Leads a fold counts in one transaction: a second of intake at full speed."""
ROUNDS = 100
"""Batches a report folds at most before it reads (a worker stopped for a long while leaves a
backlog: the report counts half a million leads, then reads; the worker does the rest)."""


async def fold_all(
    engine: AsyncEngine, rounds: int = ROUNDS, company_id: int | None = None
) -> None:
    """Fold until the queue (of ``company_id``'s leads, if given) is empty, or ``rounds``
    batches are done, a transaction each."""
    for _ in range(rounds):
        async with engine.begin() as connection:
            if await fold_pending(connection, BATCH, company_id) < BATCH:
                return


@asynccontextmanager
async def folded_read_session(request: Request, company_id: int) -> AsyncIterator[AsyncSession]:
    """A report's read-only session (``db.session.get_read_session``), opened once every
    lead of the company acknowledged so far is in the counters."""
    state = app_state(request)
    async with state.read_sessionmaker() as session:
        # Looked at first, on the read connection: when nothing waits (a report read twice,
        # a quiet hour) the report takes no write lock, so a long writer holds it up no more
        # than it holds up any read.
        waiting = await leads_waiting(session, company_id)
        await session.rollback()  # the report's own snapshot starts after the fold
        if waiting:
            await fold_all(state.engine, company_id=company_id)
        yield session


class FoldPendingLeads(Backlogged):
    """A worker job: a batch at most once a second, and every round while a backlog remains
    (in a hurry: the runner comes back at once).

    Not every round: under steady intake the cadence finds work in every round, and a fold
    per round would take the write lock (SQLite's one, or the counter rows) dozens of times a
    second for a handful of leads each time, which is what counting in intake's transaction
    cost."""

    __name__ = "fold_pending_leads"
    every_seconds = 1.0
    hurry = True

    async def work(self, context: WorkerContext) -> bool:
        async with context.engine.begin() as connection:
            return await fold_pending(connection, BATCH) == BATCH
