"""The submission pipeline's worker job: claim, plan, decide, send, record.

One short transaction per round, the network outside it: the claim marks due submissions
``processing``, plans them (steps 1 to 6) and decides (duplicates, caps, hours, fallbacks),
writing every outcome and marking deliveries started. When a campaign's AI qualifier must be
asked, the claim commits without deciding, the qualifiers are asked between transactions, and
a second transaction decides.

A user's template (a campaign's dynamic key) never runs inside a transaction: on SQLite the
transaction holds the one write lock every API post needs, and a template may take its whole
CPU budget. When the claimed submissions' campaigns have template keys, the claim commits
with the rows it loaded, the plans are drafted between the transactions (templates rendered
under the limits of ``LEADFLOW_TEMPLATE_*``), and the second transaction decides; without
them the claim plans and decides at once, as before. A template that breaks a limit ends
its submission ``error`` with a ``dynamic_keys`` step saying why; it is not tried again.

Only after the decision commits do deliveries and pixels leave, each on its own task, so the
next round claims at once instead of waiting for the slowest buyer of this one; each answer
is recorded as soon as it arrives (answers arriving together share one group commit). At
most ``CONCURRENT_SENDS`` deliveries wait for buyers at once: a round claims no more than the
room left, so a claimed lead never waits for a free slot while its lease runs.

A worker killed after the claim leaves ``processing`` rows without ``delivery.startedAt``:
nothing left for them, so the sweep makes them due again. One killed after the decision
leaves rows with ``startedAt``: the buyer may have the lead, so the sweep ends them as
``error`` and they are never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from leadflow.db.statements import Row, Sql
from leadflow.dnc.registry import DncRegistry
from leadflow.kit.fair_share import Slots
from leadflow.kit.pinned_http import OutboundPolicy
from leadflow.kit.templating import TemplateLimits
from leadflow.ops.metrics import record_buyer_delivery
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.auction import abandon_late_pings, run_auction
from leadflow.submissions.pipeline.auction_record import record_auction
from leadflow.submissions.pipeline.campaigns import CampaignBook, ConfigCache
from leadflow.submissions.pipeline.client import delivery_client
from leadflow.submissions.pipeline.decide import Decisions, Sending, decide
from leadflow.submissions.pipeline.delivery import TokenCache, UrlPolicy, deliver
from leadflow.submissions.pipeline.notifications import fire_pixels
from leadflow.submissions.pipeline.plan import Plan, ai_timeout, ask_ai, draft_plan
from leadflow.submissions.pipeline.record import Recorded, record
from leadflow.submissions.pipeline.steps import step
from leadflow.worker.context import WorkerContext

# Deliveries on the network at once per worker (a slot is freed when the buyer has answered,
# not when the answer is recorded: at 200 submissions/s, holding it through the recording
# commit capped the pipeline below the arrival rate). The transport finds an idle connection
# in constant time, unlike httpcore's pool scan, which made 64 cost more than 16.
CONCURRENT_SENDS = 64
ROOM_WAIT_SECONDS = 0.05
SWEEP_EVERY_SECONDS = 5.0
SWEEP_BATCH = 100
INTERRUPTED = "the worker stopped while delivering; not sent again"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """What a claim read, to be planned after it commits (the campaigns run templates)."""

    rows: list[Row]
    leads: dict[int, Row]
    book: CampaignBook


@dataclass(frozen=True)
class Claimed:
    plans: list[Plan]
    decisions: Decisions | None
    """None: still to decide, in a transaction of its own (AI qualifiers to ask first, or
    templates to render)."""
    loaded: Loaded | None = None
    """Claimed but not planned yet: planned between the transactions."""

    @property
    def count(self) -> int:
        return len(self.loaded.rows) if self.loaded is not None else len(self.plans)


class SubmissionJob:
    """The worker job; it keeps parsed campaigns, OAuth tokens, its deliveries in flight and
    its HTTP client (keep-alive connections to buyers) between rounds."""

    __name__ = "submissions"
    on_wake = True
    """The API wakes the worker for this job alone (a submission was just committed)."""

    def __init__(self) -> None:
        self.configs = ConfigCache()
        self.tokens = TokenCache()
        self._next_sweep: datetime | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._on_network: Slots[asyncio.Task[None]] = Slots()
        self._room = asyncio.Event()
        self._client: httpx.AsyncClient | None = None
        self.more_due = False
        """After a round: whether more may be due now (a full batch claimed, no room left, rows
        swept back), so the worker goes round again; else it waits for a wake or the poll."""

    def client(self, context: WorkerContext) -> httpx.AsyncClient:
        """The client for deliveries, their OAuth tokens and pixels: one per worker, its
        connections kept alive, over :class:`KeepAliveTransport` (a sixth to a third of
        httpcore's CPU per delivery, see :mod:`~leadflow.submissions.pipeline.wire`), pinned
        to the addresses the URL policy passed. No proxy: a proxy would resolve the buyer's
        name again, out of the policy's sight (see :mod:`leadflow.kit.pinned_http`)."""
        if self._client is None:
            settings = context.settings
            policy = OutboundPolicy(settings.allow_private_urls, settings.allow_loopback_urls)
            self._client = delivery_client(
                policy,
                settings.webhook_timeout_seconds,
                settings.delivery_transport,
                max_answer_bytes=settings.delivery_max_answer_bytes,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the kept-alive connections (the worker stops)."""
        await abandon_late_pings()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, context: WorkerContext) -> int:
        swept = await self.sweep(context)
        self.more_due = swept > 0
        room = CONCURRENT_SENDS - len(self._on_network)
        if room <= 0:
            # Every slot is taken (slow buyers): give them a moment rather than spin.
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), ROOM_WAIT_SECONDS)
            room = CONCURRENT_SENDS - len(self._on_network)
            if room <= 0:
                self.more_due = True
                return swept
        settings = context.settings
        now = context.clock.now()
        lease_until = now + timedelta(seconds=settings.worker_lease_seconds)
        limit = min(settings.worker_batch_size, room)

        lease = settings.worker_lease_seconds
        share = settings.delivery_slots_per_company
        limits = TemplateLimits.from_settings(settings)
        if context.dnc is not None:
            await context.dnc.refresh()  # read by the plans' do-not-call checks
        dnc = context.dnc

        def claim(sql: Sql) -> Claimed:
            rows, crowded = repository.claim_due(
                sql, now, limit, lease_until, lease, self._on_network.by_company, share
            )
            # Rows a company's share left behind may hide other companies' due after them.
            self.more_due = self.more_due or crowded
            if not rows:
                return Claimed([], None)
            leads = repository.leads_by_id(sql, {row["lead_id"] for row in rows})
            campaigns = repository.campaigns_of(sql, {row["company_id"] for row in rows})
            book = CampaignBook.of(campaigns, self.configs)
            if book.runs_templates:
                return Claimed([], None, Loaded(rows, leads, book))  # see the module docstring
            plans = draft_plans(Loaded(rows, leads, book), now, limits, dnc)
            if any(plan.ai_pending for plan in plans):
                return Claimed(plans, None)
            return Claimed(plans, decide_in_claim(sql, plans, context.clock.now(), lease))

        claimed = await context.committer.run(claim)
        self.more_due = self.more_due or claimed.count == limit
        if not claimed.count:
            return swept
        policy = UrlPolicy(settings.allow_private_urls, settings.allow_loopback_urls)
        decisions = claimed.decisions
        drafted = claimed.plans
        if claimed.loaded is not None:
            drafted = draft_plans(claimed.loaded, now, limits, dnc)  # between the transactions
        if decisions is None:
            # A plan whose AI qualifier must be asked is asked, decided and sent on a task of
            # its own, holding a slot of its company's: the URL is the company's, and may take
            # its whole timeout, which the round (every job of the worker) must not wait for.
            for plan in (plan for plan in drafted if plan.ai_pending):
                self._hold(self._start(self.ask_then_send(context, plan, policy)), plan)
            ready = [plan for plan in drafted if not plan.ai_pending]
            decided_at = context.clock.now()
            decisions = Decisions()
            if ready:
                decisions = await context.committer.run(
                    lambda sql: decide(sql, ready, decided_at, lease)
                )
        self._send_all(context, decisions, policy)
        return swept + claimed.count

    def _send_all(self, context: WorkerContext, decisions: Decisions, policy: UrlPolicy) -> None:
        if decisions.pixels:
            self._start(fire_pixels(self.client(context), decisions.pixels, policy))
        for item in decisions.sending:
            self._hold(self._start(self.send_one(context, item, policy)), item.plan)

    def _hold(self, task: asyncio.Task[None], plan: Plan) -> None:
        """``task`` holds a slot, of the plan's company's share, until :meth:`_answered`."""
        self._on_network.hold(task, int(plan.submission["company_id"]))

    async def ask_then_send(self, context: WorkerContext, plan: Plan, policy: UrlPolicy) -> None:
        """Ask ``plan``'s AI qualifiers, decide it in a transaction of its own, then deliver it
        on this task (its slot already held); its pixels on one of their own.

        The claim's lease is first stretched over the qualifiers' timeout (each bounds its
        whole exchange, asked all at once): a qualifier may take longer than the lease, and a
        lease that ran out meanwhile would have the sweep make the submission due again, so a
        second round would ask, decide and deliver it too."""
        lease = context.settings.worker_lease_seconds
        until = context.clock.now() + timedelta(seconds=ai_timeout(plan) + lease)
        submission = int(plan.submission["id"])
        await context.committer.run(
            lambda sql: repository.update_submission(
                sql, submission, context.clock.now(), next_attempt_at=until
            )
        )
        asked = await ask_ai(plan, context.http, policy)
        decided_at = context.clock.now()
        decisions = await context.committer.run(lambda sql: decide(sql, [asked], decided_at, lease))
        if decisions.pixels:
            self._start(fire_pixels(self.client(context), decisions.pixels, policy))
        for item in decisions.sending:
            await self.send_one(context, item, policy)

    def _start(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._sending.add(task)
        task.add_done_callback(self._done)
        return task

    def _answered(self, task: asyncio.Task[Any] | None) -> None:
        """The buyer answered (or the delivery ended): its slot is free."""
        if task is not None and self._on_network.free(task):
            self._room.set()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._answered(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a submission delivery failed", exc_info=task.exception())

    async def send_one(self, context: WorkerContext, item: Sending, policy: UrlPolicy) -> None:
        """Deliver one decided submission, record the answer, then fire its pixels; a
        rejection recorded with a fallback chosen is delivered to it in turn (the slot is
        kept through a rejection, so a chain of fallbacks counts as one delivery)."""
        http = self.client(context)
        lease = context.settings.worker_lease_seconds
        current: Sending | None = item
        while current is not None:
            sending = current
            unit: Callable[[Sql], Recorded]
            if sending.auction is not None:  # a ping_post campaign: an auction, not a delivery
                sold = await run_auction(http, sending.auction, policy, self.tokens)
                unit = partial(
                    record_auction,
                    sending=sending,
                    result=sold,
                    now=context.clock.now(),
                    lease_seconds=lease,
                )
                recorded = await context.committer.run(unit)
                await fire_pixels(http, recorded.pixels, policy)
                current = recorded.sending[0] if recorded.sending else None
                continue
            endpoint = sending.evaluation.campaign.config.endpoint
            assert endpoint is not None
            assert sending.evaluation.body is not None
            result = await deliver(http, endpoint, sending.evaluation.body, policy, self.tokens)
            record_buyer_delivery(result.verdict.outcome)
            if result.verdict.outcome != "rejected":
                self._answered(asyncio.current_task())
            answered_at = context.clock.now()
            unit = partial(record, sent=[(sending, result)], now=answered_at, lease_seconds=lease)
            recorded = await context.committer.run(unit)
            await fire_pixels(http, recorded.pixels, policy)
            current = recorded.sending[0] if recorded.sending else None
        self._answered(asyncio.current_task())

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


def draft_plans(
    loaded: Loaded, now: datetime, limits: TemplateLimits, dnc: DncRegistry | None = None
) -> list[Plan]:
    """Steps 1 to 6 for each claimed submission (templates run here, under ``limits``)."""
    book = loaded.book
    return [
        draft_plan(
            row, loaded.leads[row["lead_id"]], book, _today(book, row, now), limits, dnc, now
        )
        for row in loaded.rows
    ]


def decide_in_claim(
    sql: Sql, plans: list[Plan], now: datetime, lease_seconds: float
) -> Decisions | None:
    """Decide inside the claiming transaction (one commit per round, not two). Should deciding
    fail, only the decision is undone: the claim commits and the job decides again in a
    transaction of its own, as before, so a failing submission waits out its lease rather than
    being claimed again at once, round after round."""
    sql.run("SAVEPOINT decide")
    try:
        decisions = decide(sql, plans, now, lease_seconds)
    except Exception:
        sql.run("ROLLBACK TO SAVEPOINT decide")
        sql.run("RELEASE SAVEPOINT decide")
        return None
    sql.run("RELEASE SAVEPOINT decide")
    return decisions


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
