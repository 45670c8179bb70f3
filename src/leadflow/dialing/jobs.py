"""Housekeeping for make_call's shared state: without it ``time_locks`` grows by one row per
number dialed and ``rate_windows`` by one row per company per second of dialing."""

from __future__ import annotations

from datetime import timedelta

from leadflow.calls.guards import REDIAL_LOCK
from leadflow.db.statements import Sql
from leadflow.dialing.repository import prune_dialing_locks
from leadflow.worker.context import WorkerContext
from leadflow.worker.periodic import Every

PRUNE_EVERY_SECONDS = 300.0
KEEP_SLOTS = timedelta(minutes=1)
"""CPS windows are one second each; a minute back leaves room for clocks a little apart."""


class PruneDialingLocks:
    """The worker job. The runner calls every job each round; this one works at most once
    per ``every_seconds`` (the first round of a process included) and is free otherwise."""

    __name__ = "prune_dialing_locks"

    def __init__(self, every_seconds: float = PRUNE_EVERY_SECONDS) -> None:
        self.every = Every(every_seconds)

    async def __call__(self, context: WorkerContext) -> int:
        if not self.every.due():
            return 0
        now = context.clock.now()
        locks_before = now - REDIAL_LOCK
        slots_before = int((now - KEEP_SLOTS).timestamp())

        def prune(sql: Sql) -> int:
            return prune_dialing_locks(sql, locks_before=locks_before, slots_before=slots_before)

        await context.committer.run(prune)
        # Pruning is not work a round should hurry on for: the runner sleeps when all is 0.
        return 0
