"""A subscriber's target that never answers holds neither the worker nor other companies'
webhooks: each send runs on its own, and only that delivery waits out its timeout."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.db.statements import Sql
from leadflow.settings import Settings
from leadflow.webhooks import repository
from leadflow.webhooks.delivery import WebhookJob
from leadflow.webhooks.sender import Outgoing
from leadflow.worker.context import WorkerContext
from leadflow.worker.runner import Worker
from tests.support.raw_http import never_answer, raw_server
from tests.support.waiting import eventually
from tests.webhooks.conftest import Hooks
from tests.webhooks.receiver import Receiver

TIMEOUT_SECONDS = 3.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_private_urls=True,
        allow_loopback_urls=True,
        webhook_timeout_seconds=TIMEOUT_SECONDS,
        worker_poll_seconds=0.1,
    )


class Rounds:
    """Another job of the worker's (as the cadence is): counts the rounds it is given."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, context: WorkerContext) -> int:
        self.count += 1
        return 0


async def test_a_target_that_never_answers_holds_up_neither_the_worker_nor_another_company(
    app: FastAPI, hooks: Hooks, receiver: Receiver
) -> None:
    other = await another_company(hooks)
    async with raw_server(never_answer) as silent:
        stuck = await hooks.subscribe(silent.url("/hook"))
        await hooks.post_lead()
        answered = await other.subscribe(receiver.url())
        await other.post_lead()
        rounds = Rounds()
        worker = Worker(state_of(app).worker_context, [WebhookJob(), rounds])
        worker.start()
        try:
            # Well inside the silent target's two timeouts (connect, then read) ...
            async with asyncio.timeout(TIMEOUT_SECONDS):
                await eventually(
                    lambda: delivered(other, answered["id"]), why="the other's webhook"
                )
                await eventually(lambda: rounds.count >= 3, why="the worker's other jobs")
            # ... the other company's webhook is delivered and the worker's other jobs run,
            # while the silent target's delivery is still on its way.
            [waiting] = await hooks.deliveries(stuck["id"])
            assert (waiting["status"], waiting["attempts"]) == ("pending", 0)
            assert silent.requests == 1
        finally:
            await worker.stop()


async def another_company(hooks: Hooks) -> Hooks:
    tenant = await hooks.factory.tenant()
    schedule = await hooks.factory.schedule(tenant)
    return Hooks(hooks.app, hooks.client, hooks.factory, tenant, schedule)


async def delivered(hooks: Hooks, subscription_id: int) -> bool:
    return [d["status"] for d in await hooks.deliveries(subscription_id)] == ["delivered"]


async def test_a_claim_gives_a_company_no_more_than_its_share_of_the_slots(
    app: FastAPI, hooks: Hooks, receiver: Receiver
) -> None:
    other = await another_company(hooks)
    await hooks.subscribe(receiver.url("/a"))
    await other.subscribe(receiver.url("/b"))
    for n in range(3):
        await hooks.post_lead(caller_id=f"+1719313265{n}")
    await other.post_lead()
    context = state_of(app).worker_context
    company = hooks.tenant.company.id
    now = context.clock.now()

    def claim(sql: Sql) -> list[Outgoing]:
        return repository.claim_due(
            sql, now=now, lease_until=now, limit=10, in_flight={company: 1}, share=2
        )

    claimed = await context.committer.run(claim)

    # One more of the first company's (it holds one of its two already); the other's one.
    assert sorted(o.company_id for o in claimed) == sorted([company, other.tenant.company.id])
