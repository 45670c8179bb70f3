"""Rows a dead worker left ``queued``: decided and committed, but never answered by a provider.

Whether such a call rang or such a text left is not known, and sending again could reach the
person twice, so they become ``unknown`` (a final status: the lead's schedule goes on) and
are never sent.
"""

from __future__ import annotations

from datetime import timedelta

from leadflow.cadence import repository
from leadflow.calls.status import record_call_status, record_message_status
from leadflow.db.statements import Sql
from leadflow.worker.context import WorkerContext

SWEEP_BATCH = 100
UNKNOWN_REASON = "the worker stopped before the provider answered; not sent again"


async def sweep_unanswered(context: WorkerContext) -> int:
    now = context.clock.now()
    before = now - timedelta(seconds=context.settings.worker_lease_seconds)

    def sweep(sql: Sql) -> int:
        calls = repository.stale_unsent(sql, "calls", before, SWEEP_BATCH)
        for call_id in calls:
            record_call_status(
                sql, call_id=call_id, status="unknown", now=now, error=UNKNOWN_REASON
            )
        messages = repository.stale_unsent(sql, "messages", before, SWEEP_BATCH)
        for message_id in messages:
            record_message_status(
                sql, message_id=message_id, status="unknown", now=now, error=UNKNOWN_REASON
            )
        return len(calls) + len(messages)

    return await context.committer.run(sweep)
