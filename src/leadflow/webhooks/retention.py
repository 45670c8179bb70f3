"""Forgetting old webhook deliveries: every lead event leaves one row per subscription (and a
row per attempt), which nobody reads after a few weeks but which would otherwise stay forever.
``LEADFLOW_WEBHOOK_RETENTION_DAYS`` (30 by default, 0 keeps everything) says how long a
delivered or failed delivery stays listed at ``/api/v1/webhook_deliveries``."""

from __future__ import annotations

from datetime import timedelta

from leadflow.webhooks.repository import forget_settled
from leadflow.worker.context import WorkerContext
from leadflow.worker.periodic import Housekeeping

CHUNK = 1000
"""Rows deleted per transaction, so that pruning a long backlog never holds the writer long."""


class PruneWebhookDeliveries(Housekeeping):
    __name__ = "prune_webhook_deliveries"
    every_seconds = 600.0

    async def work(self, context: WorkerContext) -> None:
        days = context.settings.webhook_retention_days
        if days == 0:
            return
        before = context.clock.now() - timedelta(days=days)

        while True:
            async with context.engine.begin() as connection:
                deleted = await forget_settled(connection, before=before, limit=CHUNK)
            if deleted < CHUNK:
                return
