"""Housekeeping for make_call's shared state: without it ``time_locks`` grows by one row per
number dialed and ``rate_windows`` by one row per company per second of dialing."""

from __future__ import annotations

from datetime import timedelta

from leadflow.calls.dialing.repository import prune_dialing_locks
from leadflow.calls.guards import REDIAL_LOCK
from leadflow.db.statements import Sql
from leadflow.worker.context import WorkerContext
from leadflow.worker.periodic import Housekeeping

KEEP_SLOTS = timedelta(minutes=1)
"""CPS windows are one second each; a minute back leaves room for clocks a little apart."""


class PruneDialingLocks(Housekeeping):
    __name__ = "prune_dialing_locks"
    every_seconds = 300.0

    async def work(self, context: WorkerContext) -> None:
        now = context.clock.now()
        locks_before = now - REDIAL_LOCK
        slots_before = int((now - KEEP_SLOTS).timestamp())

        def prune(sql: Sql) -> int:
            return prune_dialing_locks(sql, locks_before=locks_before, slots_before=slots_before)

        await context.committer.run(prune)
