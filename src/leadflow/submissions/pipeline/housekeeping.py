"""Forgetting duplicate windows that have passed: every original submission of a real lead
takes one ``time_locks`` row per campaign, and a row outside its campaign's window only takes
space (and index pages every new submission writes next to)."""

from __future__ import annotations

from leadflow.db.statements import Sql
from leadflow.submissions.pipeline.repository import forget_expired_duplicate_locks
from leadflow.worker.context import WorkerContext
from leadflow.worker.periodic import Housekeeping


class PruneDuplicateLocks(Housekeeping):
    __name__ = "prune_duplicate_locks"
    every_seconds = 600.0

    async def work(self, context: WorkerContext) -> None:
        now = context.clock.now()

        def prune(sql: Sql) -> int:
            return forget_expired_duplicate_locks(sql, now)

        await context.committer.run(prune)
