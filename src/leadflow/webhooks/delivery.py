"""The worker job that delivers webhooks: claim due deliveries, commit, send each, record it.

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
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from leadflow.db.statements import Sql
from leadflow.kit.fair_share import Slots
from leadflow.ops.metrics import record_webhook_outcomes
from leadflow.webhooks import repository
from leadflow.webhooks.sender import Outcome, Outgoing, send
from leadflow.worker.context import WorkerContext

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 3600.0
JITTER = 0.1
CONCURRENT_SENDS = 64


def retry_delay(failed_attempts: int, jitter: float) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failure; ``jitter`` in [0, 1)."""
    base = min(FIRST_RETRY_SECONDS * 2 ** (failed_attempts - 1), MAX_RETRY_SECONDS)
    return timedelta(seconds=base * (1 + JITTER * jitter))


class WebhookJob:
    """The worker's webhook job. A round claims due deliveries and sends each on a task of its
    own, recording its outcome as soon as the target has answered; the round itself never
    waits for a target. A subscriber's URL may take twice ``LEADFLOW_WEBHOOK_TIMEOUT_SECONDS``
    on every try: were the round to wait for it, every other job of the worker (every
    company's calls, texts, e-mails and deliveries) would wait too. At most
    ``CONCURRENT_SENDS`` are in flight, and one company's at most its share of them
    (``LEADFLOW_DELIVERY_SLOTS_PER_COMPANY``, :mod:`leadflow.kit.fair_share`)."""

    __name__ = "webhooks"

    def __init__(self) -> None:
        self._sending: Slots[asyncio.Task[None]] = Slots()

    async def __call__(self, context: WorkerContext) -> int:
        """One round: how many deliveries it started (0 lets the worker sleep)."""
        room = CONCURRENT_SENDS - len(self._sending)
        if room <= 0:
            return 0
        settings = context.settings
        now = context.clock.now()
        lease_until = now + timedelta(seconds=settings.worker_lease_seconds)
        share = settings.delivery_slots_per_company
        limit = min(settings.worker_batch_size, room)

        def claim(sql: Sql) -> list[Outgoing]:
            return repository.claim_due(
                sql,
                now=now,
                lease_until=lease_until,
                limit=limit,
                in_flight=self._sending.by_company,
                share=share,
            )

        claimed = await context.committer.run(claim)
        timestamp = int(now.timestamp())
        for outgoing in claimed:
            task = asyncio.ensure_future(self._send(context, outgoing, timestamp))
            self._sending.hold(task, outgoing.company_id)
            task.add_done_callback(self._done)
        return len(claimed)

    async def _send(self, context: WorkerContext, outgoing: Outgoing, timestamp: int) -> None:
        settings = context.settings
        outcome = await send(
            context.http,
            outgoing,
            timestamp=timestamp,
            allow_private=settings.allow_private_urls,
            allow_loopback=settings.allow_loopback_urls,
        )
        finished = context.clock.now()
        max_attempts = settings.webhook_max_attempts

        def record(sql: Sql) -> None:
            record_outcomes(sql, [outgoing], [outcome], now=finished, max_attempts=max_attempts)

        await context.committer.run(record)
        record_webhook_outcomes([outcome])

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.free(task)
        if not task.cancelled() and task.exception() is not None:
            # Its lease runs out and it is tried again, as after a killed worker.
            log.error("a webhook delivery failed", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait for every send in flight to be recorded (an orderly stop; tests)."""
        while self._sending:
            await asyncio.gather(*self._sending.held(), return_exceptions=True)


async def deliver_due_webhooks(context: WorkerContext) -> int:
    """One round of a job of its own, waited out: every delivery it claimed is sent and
    recorded when this returns (tests, and tools that deliver by hand)."""
    job = WebhookJob()
    started = await job(context)
    await job.settle()
    return started


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
