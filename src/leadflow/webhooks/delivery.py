"""The worker job that delivers webhooks: claim due deliveries, commit, send, record.

Sending happens only after the claim is committed, and the outcome is recorded in a second
transaction, so a worker killed in between leaves a claimed delivery whose lease runs out and
which is sent again: delivery is at least once, and the ``X-Leadflow-Delivery`` id (the same
on every try) lets a receiver drop a repeat.

Retries back off exponentially: the n-th failed try waits ``30 s * 2**(n-1)`` (capped at an
hour) plus up to 10 % jitter, so that a receiver coming back from an outage is not hit by every
delivery at the same instant. After ``settings.webhook_max_attempts`` tries the delivery fails.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from leadflow.db.statements import Sql
from leadflow.ops.metrics import record_webhook_outcomes
from leadflow.webhooks import repository
from leadflow.webhooks.sender import Outcome, Outgoing, send
from leadflow.worker.context import WorkerContext

FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 3600.0
JITTER = 0.1
CONCURRENT_SENDS = 16


def retry_delay(failed_attempts: int, jitter: float) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failure; ``jitter`` in [0, 1)."""
    base = min(FIRST_RETRY_SECONDS * 2 ** (failed_attempts - 1), MAX_RETRY_SECONDS)
    return timedelta(seconds=base * (1 + JITTER * jitter))


async def deliver_due_webhooks(context: WorkerContext) -> int:
    """One round: returns how many deliveries were tried (0 lets the worker sleep)."""
    settings = context.settings
    now = context.clock.now()
    lease_until = now + timedelta(seconds=settings.worker_lease_seconds)

    def claim(sql: Sql) -> list[Outgoing]:
        return repository.claim_due(
            sql, now=now, lease_until=lease_until, limit=settings.worker_batch_size
        )

    claimed = await context.committer.run(claim)
    if not claimed:
        return 0
    gate = asyncio.Semaphore(CONCURRENT_SENDS)
    timestamp = int(context.clock.now().timestamp())

    async def bounded(outgoing: Outgoing) -> Outcome:
        async with gate:
            return await send(
                context.http,
                outgoing,
                timestamp=timestamp,
                allow_private=settings.allow_private_urls,
                allow_loopback=settings.allow_loopback_urls,
            )

    outcomes = await asyncio.gather(*(bounded(outgoing) for outgoing in claimed))
    finished = context.clock.now()
    max_attempts = settings.webhook_max_attempts

    def record(sql: Sql) -> None:
        record_outcomes(sql, claimed, outcomes, now=finished, max_attempts=max_attempts)

    await context.committer.run(record)
    record_webhook_outcomes(outcomes)
    return len(claimed)


def record_outcomes(
    sql: Sql,
    claimed: Sequence[Outgoing],
    outcomes: Sequence[Outcome],
    *,
    now: datetime,
    max_attempts: int,
) -> None:
    """An attempt row per try; the delivery delivered, due again after its backoff, or failed
    (at once when the URL policy refused it, else after ``max_attempts`` tries)."""
    still_pending = repository.pending_ids(sql, [outgoing.delivery_id for outgoing in claimed])
    for outgoing, outcome in zip(claimed, outcomes, strict=True):
        if outgoing.delivery_id not in still_pending:
            continue
        attempt = outgoing.attempts + 1
        repository.add_attempt(
            sql,
            delivery_id=outgoing.delivery_id,
            attempt=attempt,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            now=now,
        )
        if outcome.succeeded:
            assert outcome.status_code is not None
            repository.mark_delivered(
                sql,
                outgoing.delivery_id,
                attempts=attempt,
                status_code=outcome.status_code,
                now=now,
            )
            continue
        give_up = outcome.refused or attempt >= max_attempts
        repository.mark_attempt_failed(
            sql,
            outgoing.delivery_id,
            attempts=attempt,
            status_code=outcome.status_code,
            error=outcome.error or f"HTTP {outcome.status_code}",
            next_attempt_at=None if give_up else now + retry_delay(attempt, random.random()),
            now=now,
        )
