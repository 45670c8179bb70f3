"""The cadence job: claim due leads, decide and commit, send, record what the providers said.

Two short transactions per batch, with the sending in between and outside both: the first
claims the due leads, runs the planner and writes every decision (the lead's new cursor, its
events, the call and message rows, queued); only after it commits do calls and texts leave; the
second writes the providers' answers. A crash before the first commit changes nothing (the
leads are due again at once, or on PostgreSQL when the lease ends); after it, nothing already
decided is ever sent twice.

On SQLite the batch is claimed and decided on a read snapshot, and the first transaction only
checks that nothing the decision rested on changed, then writes it (:mod:`leadflow.db.snapshot`):
SQLite's single write lock is held for a third of the time, and the API's posts wait that
much less behind the worker. What commits is what a decision under the lock commits.
Users' templates are rendered only while planning on the snapshot, never under the lock
(:mod:`leadflow.cadence.render` says how a decision under the lock still has them).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from leadflow.cadence import repository
from leadflow.cadence.batch import Batch
from leadflow.cadence.caps import SmsCaps
from leadflow.cadence.dispatch import Sent, record_sent, send_all
from leadflow.cadence.effects import CallWebhook, Effect
from leadflow.cadence.render import Renders, UnrenderedTemplateError
from leadflow.cadence.state import ScheduleCache, WorkedSchedule, contact_state
from leadflow.cadence.steps import work_lead
from leadflow.cadence.webhook_sends import WebhookSends
from leadflow.db.snapshot import ReadLog
from leadflow.db.statements import Row, Sql, SqliteSql
from leadflow.dnc.registry import DncRegistry
from leadflow.dnc.screening import blocking_lists
from leadflow.kit.collector import collector_paused
from leadflow.kit.templating import TemplateLimits
from leadflow.ops.request_id import current_request_id
from leadflow.schedules.dial_order import dial_order_key, favours_real_time
from leadflow.settings import Settings
from leadflow.worker.context import WorkerContext

log = logging.getLogger(__name__)

PLAN_ATTEMPTS = 3
"""Plans on a new snapshot when the last one's renders were not enough under the lock."""


@dataclass(frozen=True)
class Decided:
    worked: int
    effects: list[Effect]


@dataclass
class Planned:
    """A batch decided on a snapshot: the rows it claimed as stored, the decision (None when
    nothing was due), and every other answer the decision rested on."""

    claimed: list[tuple[Any, ...]]
    batch: Batch | None
    reads: ReadLog
    written: bool = False


class CadenceJob:
    """The worker job; it keeps parsed schedules between batches."""

    __name__ = "cadence"

    def __init__(self) -> None:
        self.schedules = ScheduleCache()
        self.webhooks = WebhookSends(_record_sent)
        self.renders: Renders | None = None
        self.dnc: DncRegistry | None = None
        """The shared do-not-call lists, refreshed before each batch: a list updated
        mid-cadence stops the next action of every lead it holds."""
        """The renders of the last plan, which a decision under the lock looks up."""

    async def __call__(self, context: WorkerContext) -> int:
        settings = context.settings
        now = context.clock.now()
        if context.dnc is not None:
            await context.dnc.refresh()
            self.dnc = context.dnc
        decided = await self._decided(context, now)
        # Webhook actions leave beside the round (see cadence.webhook_sends); the providers'
        # answers are waited for and recorded with the round.
        webhooks = [effect for effect in decided.effects if isinstance(effect, CallWebhook)]
        sent = self.webhooks.start(webhooks, context) if webhooks else []
        others = [effect for effect in decided.effects if not isinstance(effect, CallWebhook)]
        if others:
            sent += await send_all(others, context.channels, context.http, settings)
        if sent:
            answered_at = context.clock.now()
            await context.committer.run(lambda sql: _record_sent(sql, sent, answered_at))
        return decided.worked

    async def settle(self) -> None:
        """Wait for the webhook actions in flight to be recorded (an orderly stop; tests)."""
        await self.webhooks.settle()

    async def _decided(self, context: WorkerContext, now: datetime) -> Decided:
        """One batch decided and committed: on SQLite decided on a snapshot first, so that the
        write lock is held only to check and write it (see :mod:`leadflow.db.snapshot`)."""
        settings = context.settings
        if context.snapshots is None:
            return await context.committer.run(lambda sql: self.decide(sql, settings, now))
        for _ in range(PLAN_ATTEMPTS):
            planned = context.snapshots.read(lambda sql: self.plan(sql, settings, now))
            if planned is not None and not planned.claimed:
                return Decided(0, [])  # nothing due: no write lock taken at all
            try:
                return await context.committer.run(self._writer(planned, settings, now))
            except UnrenderedTemplateError:
                continue  # a lead changed meanwhile: render its templates on a new snapshot
        return Decided(0, [])  # the leads kept changing: the next round tries again

    def _writer(
        self, planned: Planned | None, settings: Settings, now: datetime
    ) -> Callable[[Sql], Decided]:
        return lambda sql: self.write_planned(sql, planned, settings, now)

    def decide(
        self, sql: Sql, settings: Settings, now: datetime, renders: Renders | None = None
    ) -> Decided:
        """Claim and work one batch; runs inside the claiming transaction. ``renders``: the
        plan's, sealed, under SQLite's write lock; else templates are rendered here."""
        renders = renders or Renders(TemplateLimits.from_settings(settings))
        with collector_paused():
            leads = repository.claim_due_leads(
                sql, now, settings.worker_batch_size, settings.worker_lease_seconds
            )
            if not leads:
                return Decided(0, [])
            return Decided(len(leads), self._work(sql, settings, now, leads, renders).flush())

    def plan(self, sql: ReadLog, settings: Settings, now: datetime) -> Planned | None:
        """The batch claimed and worked on a snapshot, nothing written yet; None when working
        it had to write as it went (it is then decided under the lock). Either way every
        template the batch needs is rendered here, kept in :attr:`renders`."""
        self.renders = Renders(TemplateLimits.from_settings(settings))
        with collector_paused():
            claimed = repository.due_lead_rows(sql.connection, now, settings.worker_batch_size)
            if not claimed:
                return Planned(claimed, None, sql)
            log = _PlanLog(sql.connection)
            batch = self._work(log, settings, now, repository.decode_leads(claimed), self.renders)
            if log.wrote:
                return None
            return Planned(claimed, batch, log)

    def write_planned(
        self, sql: Sql, planned: Planned | None, settings: Settings, now: datetime
    ) -> Decided:
        """Under the write lock: the snapshot's decision when every lead and every answer it
        rested on is unchanged, else a decision made here (:meth:`decide`). A batch that
        runs again (the group commit retries a unit) decides here too: a plan is written once."""
        with collector_paused():
            if (
                planned is None
                or planned.batch is None
                or planned.written
                or not isinstance(sql, SqliteSql)
                or not repository.unchanged_due_leads(sql.connection, planned.claimed, now)
                or not planned.reads.answers_unchanged(sql)
            ):
                renders = (self.renders or Renders(TemplateLimits())).sealed_copy()
                return self.decide(sql, settings, now, renders)
            planned.written = True
            planned.batch.sql = sql
            return Decided(len(planned.claimed), planned.batch.flush())

    def _work(
        self, sql: Sql, settings: Settings, now: datetime, leads: list[Row], renders: Renders
    ) -> Batch:
        schedules = {
            row["id"]: self.schedules.get(row)
            for row in repository.schedules_by_id(
                sql, {lead["schedule_id"] for lead in leads}
            ).values()
        }
        flags = repository.suppression_of(
            sql, {(lead["company_id"], lead["caller_id"]) for lead in leads if lead["caller_id"]}
        )
        batch = Batch(
            sql=sql,
            now=now,
            default_caller_id=settings.default_caller_id,
            email_from=settings.email_from,
            renders=renders,
            caps=sms_caps(sql, settings, now, leads),
        )
        tracing = log.isEnabledFor(logging.DEBUG)
        outside = current_request_id.set(None)
        try:
            for lead in in_dial_order(leads, schedules):
                # Any line logged while this lead is worked carries its post's request id.
                current_request_id.set(lead["request_id"])
                schedule = schedules[lead["schedule_id"]]
                if tracing:
                    _trace(lead)
                contact = contact_state(flags.get((lead["company_id"], lead["caller_id"])))
                if self.dnc is not None and lead["caller_id"]:
                    lists = blocking_lists(
                        self.dnc,
                        schedule.dnc,
                        lead["caller_id"],
                        lead["created_at"],
                        lead["tokens"],
                        now,
                    )
                    contact = replace(contact, shared_dnc_lists=lists)
                work_lead(batch, lead, schedule, contact)
        finally:
            current_request_id.reset(outside)
        return batch


def _trace(lead: Row) -> None:
    """One debug line per lead worked, with the id of the post that created it: the thread
    from an API request to what the worker did for its lead (``ops.request_id``). On SQLite a
    batch planned on a snapshot and then decided again under the lock logs its leads twice."""
    log.debug(
        "working lead %s: action %s of schedule %s",
        lead["id"],
        lead["action_index"],
        lead["schedule_id"],
    )


class _PlanLog(ReadLog):
    """The plan's :class:`ReadLog`, except that a write is noted instead of refused: the plan
    goes on to the end of the batch, rendering every template a decision under the lock will
    look up, and is then not written (``wrote``)."""

    wrote = False

    def run(self, statement: str, **params: Any) -> int:
        self.wrote = True
        return 0


def _record_sent(sql: Sql, sent: list[Sent], now: datetime) -> None:
    with collector_paused():
        record_sent(sql, sent, now)


def sms_caps(sql: Sql, settings: Settings, now: datetime, leads: list[Row]) -> SmsCaps | None:
    """The per-contact text caps for this batch's numbers; none when no cap is set."""
    daily, monthly = settings.sms_daily_cap_per_contact, settings.sms_monthly_cap_per_contact
    if not daily and not monthly:
        return None
    numbers: dict[int, set[str]] = {}
    for lead in leads:
        if lead["caller_id"]:
            numbers.setdefault(lead["company_id"], set()).add(lead["caller_id"])
    return SmsCaps(sql, now, daily, monthly, numbers)


def in_dial_order(leads: list[Row], schedules: dict[int, WorkedSchedule]) -> list[Row]:
    """The batch in the order its calls go out: each schedule's dial order and real-time
    priority (a batch is sent concurrently, so this matters when a provider is slow)."""
    favour = favours_real_time(random.random())

    def key(lead: Row) -> tuple[int, int, float, int]:
        config = schedules[lead["schedule_id"]].config
        return dial_order_key(
            lead_id=lead["id"],
            created_at=lead["created_at"],
            lead_priority=lead["lead_priority"],
            order=config.dial_order,
            real_time_priority=config.real_time_priority,
            favour_real_time=favour,
        )

    return sorted(leads, key=key)
