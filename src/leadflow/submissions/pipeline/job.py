"""The submission pipeline's worker job: claim, plan, decide, send, record.

Two short transactions per round with the network outside both: the claim marks due
submissions ``processing``; planning (steps 1 to 6, and the AI qualifier when a campaign has
one) happens between them; the decision (duplicates, caps, hours, fallbacks) writes every
outcome and marks deliveries started. Only after it commits do deliveries and pixels leave,
each on its own task, so the next round claims at once instead of waiting for the slowest
buyer of this one; each answer is recorded as soon as it arrives (answers arriving together
share one group commit). At most ``CONCURRENT_SENDS`` deliveries are in flight: a round claims
no more than the room left, so a claimed lead never waits for a free slot while its lease
runs.

A worker killed after the claim leaves ``processing`` rows without ``delivery.startedAt``:
nothing left for them, so the sweep makes them due again. One killed after the decision
leaves rows with ``startedAt``: the buyer may have the lead, so the sweep ends them as
``error`` and they are never sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.db.statements import Row, Sql
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.campaigns import CampaignBook, ConfigCache
from leadflow.submissions.pipeline.decide import Sending, decide
from leadflow.submissions.pipeline.delivery import TokenCache, UrlPolicy, deliver
from leadflow.submissions.pipeline.notifications import fire_pixels
from leadflow.submissions.pipeline.plan import make_plan
from leadflow.submissions.pipeline.record import record
from leadflow.submissions.pipeline.steps import step
from leadflow.worker.context import WorkerContext

# Deliveries in flight per worker. httpcore scans every pooled connection for each request it
# places, so a pool of 64 busy connections to one buyer cost more CPU than the sends themselves
# (profiled, a closed-loop submit run went from 92 to 171 submissions/s going from 64 to 16).
CONCURRENT_SENDS = 16
ROOM_WAIT_SECONDS = 0.05
SWEEP_EVERY_SECONDS = 5.0
SWEEP_BATCH = 100
INTERRUPTED = "the worker stopped while delivering; not sent again"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    submissions: list[Row]
    leads: dict[int, Row]
    campaigns: list[Row]


class SubmissionJob:
    """The worker job; it keeps parsed campaigns, OAuth tokens and its deliveries in flight
    between rounds."""

    __name__ = "submissions"

    def __init__(self) -> None:
        self.configs = ConfigCache()
        self.tokens = TokenCache()
        self._next_sweep: datetime | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def __call__(self, context: WorkerContext) -> int:
        swept = await self.sweep(context)
        room = CONCURRENT_SENDS - len(self._sending)
        if room <= 0:
            # Every slot is taken (slow buyers): give them a moment rather than spin.
            await asyncio.wait(self._sending, timeout=ROOM_WAIT_SECONDS)
            room = CONCURRENT_SENDS - len(self._sending)
            if room <= 0:
                return swept
        settings = context.settings
        now = context.clock.now()
        lease_until = now + timedelta(seconds=settings.worker_lease_seconds)
        limit = min(settings.worker_batch_size, room)

        def claim(sql: Sql) -> Claimed:
            rows = repository.claim_due(sql, now, limit, lease_until, settings.worker_lease_seconds)
            if not rows:
                return Claimed([], {}, [])
            leads = repository.leads_by_id(sql, {row["lead_id"] for row in rows})
            campaigns = repository.campaigns_of(sql, {row["company_id"] for row in rows})
            return Claimed(rows, leads, campaigns)

        claimed = await context.committer.run(claim)
        if not claimed.submissions:
            return swept
        policy = UrlPolicy(settings.allow_private_urls, settings.allow_loopback_urls)
        book = CampaignBook.of(claimed.campaigns, self.configs)
        plans = await asyncio.gather(
            *(
                make_plan(
                    row,
                    claimed.leads[row["lead_id"]],
                    book,
                    _today(book, row, now),
                    context.http,
                    policy,
                )
                for row in claimed.submissions
            )
        )
        decided_at = context.clock.now()
        lease = settings.worker_lease_seconds
        decisions = await context.committer.run(
            lambda sql: decide(sql, list(plans), decided_at, lease)
        )
        if decisions.pixels:
            self._start(fire_pixels(context.http, decisions.pixels, policy))
        for item in decisions.sending:
            self._start(self.send_one(context, item, policy))
        return swept + len(claimed.submissions)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._sending.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a submission delivery failed", exc_info=task.exception())

    async def send_one(self, context: WorkerContext, item: Sending, policy: UrlPolicy) -> None:
        """Deliver one decided submission, record the answer, then fire its pixels."""
        endpoint = item.evaluation.campaign.config.endpoint
        assert endpoint is not None
        assert item.evaluation.body is not None
        result = await deliver(context.http, endpoint, item.evaluation.body, policy, self.tokens)
        answered_at = context.clock.now()
        later = await context.committer.run(lambda sql: record(sql, [(item, result)], answered_at))
        await fire_pixels(context.http, later, policy)

    async def settle(self) -> None:
        """Wait for every delivery in flight to be recorded (tests; an orderly stop)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def abandon(self) -> None:
        """Stop every delivery in flight without recording it, as a killed worker would."""
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)

    async def sweep(self, context: WorkerContext) -> int:
        """End what a stopped worker left behind (at most every few seconds)."""
        now = context.clock.now()
        if self._next_sweep is not None and now < self._next_sweep:
            return 0
        self._next_sweep = now + timedelta(seconds=SWEEP_EVERY_SECONDS)
        return await context.committer.run(lambda sql: sweep_interrupted(sql, now))


def sweep_interrupted(sql: Sql, now: datetime) -> int:
    """Claimed but never decided: due again. Handed to delivery: ``error``, never resent."""
    rows = repository.stale_processing(sql, now, SWEEP_BATCH)
    for row in rows:
        delivery = row.get("delivery") or {}
        if not delivery.get("startedAt"):
            repository.update_submission(sql, row["id"], now, status="new", next_attempt_at=now)
            continue
        steps = [*(row.get("steps") or []), step("delivery", "interrupted", reason=INTERRUPTED)]
        repository.update_submission(
            sql,
            row["id"],
            now,
            status="error",
            steps=steps,
            delivery={**delivery, "success": False, "responseMessage": INTERRUPTED},
            next_attempt_at=None,
        )
        repository.set_lead_status(sql, row["lead_id"], "error", now)
    return len(rows)


def _today(book: CampaignBook, submission: Row, now: datetime) -> date:
    """The date in the campaign's zone (an age turns over at the lead's buyer's midnight)."""
    campaign = book.by_id.get(submission["campaign_id"])
    zone = ZoneInfo(campaign.time_zone) if campaign else None
    return now.astimezone(zone).date() if zone else now.date()
