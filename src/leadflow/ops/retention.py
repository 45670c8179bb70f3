"""Retention: history tables that grow with every lead lose their oldest rows.

Lead events (a lead's timeline), call events (a call's status history) and webhook attempts
(one row per try) are written for every lead, call and delivery and never read once they are
old, yet nothing removed them. Each has its own ``LEADFLOW_RETENTION_*_DAYS`` (0 keeps rows
forever); the lead, call or delivery itself is kept. Settled webhook deliveries (delivered or
given up, with their attempts) follow ``LEADFLOW_WEBHOOK_RETENTION_DAYS``, in the same small
batches: their own job deleted a whole backlog in one go, holding up the worker's round.

The worker deletes in small batches, each its own short transaction, so pruning never holds
SQLite's write lock (or PostgreSQL's row locks) for long, and a long backlog (the first run
on a big database) is worked off over several rounds instead of stalling one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadflow.ops.repository import prune_oldest
from leadflow.settings import Settings
from leadflow.webhooks.repository import forget_settled
from leadflow.worker.context import WorkerContext
from leadflow.worker.periodic import Backlogged

BATCH = 1000
"""Rows deleted per transaction."""
BATCHES_PER_ROUND = 10
"""Batches per table per worker round: a backlog past this continues next round, so the
cadence's jobs never wait behind more than a few milliseconds of pruning."""


@dataclass(frozen=True)
class Retention:
    table: str
    days: int


def retentions(settings: Settings) -> list[Retention]:
    """The tables pruned and how long each keeps its rows (0: forever, not pruned)."""
    return [
        Retention("lead_events", settings.retention_lead_events_days),
        Retention("call_events", settings.retention_call_events_days),
        Retention("webhook_attempts", settings.retention_webhook_attempts_days),
        Retention("webhook_deliveries", settings.webhook_retention_days),
    ]


def cutoff(now: datetime, days: int) -> datetime:
    """Rows created before this are past their retention."""
    return now - timedelta(days=days)


class PruneHistory(Backlogged):
    """A worker job: once per ``every_seconds``, and every round while a backlog remains
    (never in a hurry: pruning is not work a round should hurry on for)."""

    __name__ = "prune_history"
    every_seconds = 600.0

    async def work(self, context: WorkerContext) -> bool:
        now = context.clock.now()
        backlog = False
        for retention in retentions(context.settings):
            if retention.days == 0:
                continue
            before = cutoff(now, retention.days)
            backlog |= await self._prune(context, retention.table, before)
        return backlog

    @staticmethod
    async def _prune(context: WorkerContext, table: str, before: datetime) -> bool:
        """Up to ``BATCHES_PER_ROUND`` batches; whether more may remain."""

        for _ in range(BATCHES_PER_ROUND):
            async with context.engine.begin() as connection:
                if table == "webhook_deliveries":  # settled ones only, by when they settled
                    deleted = await forget_settled(connection, before=before, limit=BATCH)
                else:
                    deleted = await prune_oldest(connection, table, before=before, limit=BATCH)
            if deleted < BATCH:
                return False
        return True
