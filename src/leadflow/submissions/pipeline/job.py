"""The submission pipeline's worker job: claim, plan, decide, send, record.

Three short transactions per round with the network outside all of them: the claim marks
due submissions ``processing``; planning (steps 1 to 6, and the AI qualifier when a campaign
has one) happens between transactions; the decision (duplicates, caps, hours, fallbacks)
writes every outcome and marks deliveries started; only after it commits do deliveries and
pixels leave; the last transaction records what the buyers answered.

A worker killed after the claim leaves ``processing`` rows without ``delivery.startedAt``:
nothing left for them, so the sweep makes them due again. One killed after the decision
leaves rows with ``startedAt``: the buyer may have the lead, so the sweep ends them as
``error`` and they are never sent twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from leadflow.db.statements import Row, Sql
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.campaigns import CampaignBook, ConfigCache
from leadflow.submissions.pipeline.decide import Sending, decide
from leadflow.submissions.pipeline.delivery import Delivered, TokenCache, UrlPolicy, deliver
from leadflow.submissions.pipeline.notifications import fire_pixels
from leadflow.submissions.pipeline.plan import make_plan
from leadflow.submissions.pipeline.record import record
from leadflow.submissions.pipeline.steps import step
from leadflow.worker.context import WorkerContext

CONCURRENT_SENDS = 64
SWEEP_EVERY_SECONDS = 5.0
SWEEP_BATCH = 100
INTERRUPTED = "the worker stopped while delivering; not sent again"


@dataclass(frozen=True)
class Claimed:
    submissions: list[Row]
    leads: dict[int, Row]
    campaigns: list[Row]


class SubmissionJob:
    """The worker job; it keeps parsed campaigns and OAuth tokens between rounds."""

    __name__ = "submissions"

    def __init__(self) -> None:
        self.configs = ConfigCache()
        self.tokens = TokenCache()
        self._next_sweep: datetime | None = None

    async def __call__(self, context: WorkerContext) -> int:
        swept = await self.sweep(context)
        settings = context.settings
        now = context.clock.now()
        lease_until = now + timedelta(seconds=settings.worker_lease_seconds)

        def claim(sql: Sql) -> Claimed:
            rows = repository.claim_due(
                sql, now, settings.worker_batch_size, lease_until, settings.worker_lease_seconds
            )
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
        pixels = asyncio.ensure_future(fire_pixels(context.http, decisions.pixels, policy))
        if decisions.sending:
            sent = await self.send_all(context, decisions.sending, policy)
            answered_at = context.clock.now()
            later = await context.committer.run(lambda sql: record(sql, sent, answered_at))
            await fire_pixels(context.http, later, policy)
        await pixels
        return swept + len(claimed.submissions)

    async def send_all(
        self, context: WorkerContext, sending: list[Sending], policy: UrlPolicy
    ) -> list[tuple[Sending, Delivered]]:
        gate = asyncio.Semaphore(CONCURRENT_SENDS)

        async def one(item: Sending) -> tuple[Sending, Delivered]:
            endpoint = item.evaluation.campaign.config.endpoint
            assert endpoint is not None
            assert item.evaluation.body is not None
            async with gate:
                result = await deliver(
                    context.http, endpoint, item.evaluation.body, policy, self.tokens
                )
            return item, result

        return list(await asyncio.gather(*(one(item) for item in sending)))

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
