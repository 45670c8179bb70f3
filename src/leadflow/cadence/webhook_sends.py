"""Schedule webhook actions, sent beside the cadence's rounds rather than inside them.

Calls, texts and e-mails go to the operator's providers, and a round waits for their answers
before recording them. A webhook action goes to a URL the company chose, which may take twice
``LEADFLOW_WEBHOOK_TIMEOUT_SECONDS`` on every try: were the round to wait for it, every other
company's calls, texts and e-mails (and the worker's other jobs) would wait too. So each is sent
on a task of its own and its answer recorded when it comes (answers arriving together share a
group commit), as ``webhook_sent`` or ``webhook_failed`` on the lead's timeline.

One company's take at most its share of the sends at once (``LEADFLOW_DELIVERY_SLOTS_PER_COMPANY``)
and at most ``BACKLOG_PER_COMPANY`` wait for a turn: past that, a webhook fails at once, named
so on the timeline, rather than the worker holding an ever longer queue for a URL that does not
answer. A worker that stops mid-send loses the send, as it would a text's (at most once).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from leadflow.cadence.dispatch import Sent, send_all
from leadflow.cadence.effects import CallWebhook
from leadflow.channels.protocol import SendResult
from leadflow.db.statements import Sql
from leadflow.worker.context import WorkerContext

log = logging.getLogger(__name__)

CONCURRENT_SENDS = 64
"""Webhook actions waiting for their targets at once, every company's together."""
BACKLOG_PER_COMPANY = 1_000
"""A company's webhook actions sent or waiting to be, past which the next fails at once."""

Record = Callable[[Sql, list[Sent], datetime], None]


class WebhookSends:
    def __init__(self, record: Record, backlog: int = BACKLOG_PER_COMPANY) -> None:
        self._record = record
        self._backlog = backlog
        self._tasks: set[asyncio.Task[None]] = set()
        self._gate = asyncio.Semaphore(CONCURRENT_SENDS)
        self._company_gates: dict[int, asyncio.Semaphore] = {}
        self._held: Counter[int] = Counter()
        """Each company's webhook actions sent or waiting to be."""

    def start(self, effects: list[CallWebhook], context: WorkerContext) -> list[Sent]:
        """Start sending ``effects``; returns those refused at once (a company's backlog is
        full), for the caller to record with the rest of its round."""
        refused: list[Sent] = []
        for effect in effects:
            if self._held[effect.company_id] >= self._backlog:
                error = (
                    f"not sent: {self._backlog} of this company's webhooks were already"
                    " waiting for their targets"
                )
                refused.append(
                    Sent(effect, SendResult(accepted=False, status="failed", error=error))
                )
                continue
            self._held[effect.company_id] += 1
            task = asyncio.ensure_future(self._send(effect, context))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return refused

    async def _send(self, effect: CallWebhook, context: WorkerContext) -> None:
        company = effect.company_id
        share = context.settings.delivery_slots_per_company
        gate = self._company_gates.setdefault(company, asyncio.Semaphore(share))
        try:
            async with gate, self._gate:
                sent = await send_all([effect], context.channels, context.http, context.settings)
            answered_at = context.clock.now()
            await context.committer.run(lambda sql: self._record(sql, sent, answered_at))
        except Exception:
            log.exception("a schedule webhook could not be sent or recorded")
        finally:
            self._held[company] -= 1
            if not self._held[company]:
                del self._held[company]
                self._company_gates.pop(company, None)

    async def settle(self) -> None:
        """Wait for every webhook in flight to be recorded (an orderly stop; tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
