"""A schedule's webhook action to a URL that never answers holds up no one else: the cadence's
round goes on without it (another company's lead is texted), and its answer, or its timeout,
is written to the lead's timeline when it comes."""

from __future__ import annotations

import asyncio

import pytest

from leadflow.app_state import state_of
from leadflow.cadence.dispatch import Sent
from leadflow.cadence.effects import CallWebhook
from leadflow.cadence.job import CadenceJob
from leadflow.cadence.webhook_sends import WebhookSends
from leadflow.settings import Settings
from tests.cadence.conftest import Cadence
from tests.support.raw_http import never_answer, raw_server

TIMEOUT_SECONDS = 3.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_loopback_urls=True,
        webhook_timeout_seconds=TIMEOUT_SECONDS,
    )


async def test_a_webhook_action_that_never_answers_leaves_the_round_to_the_others(
    cadence: Cadence,
) -> None:
    other = Cadence(
        cadence.app, cadence.client, cadence.factory, await cadence.factory.tenant(), []
    )
    job = CadenceJob()
    context = state_of(cadence.app).worker_context
    async with raw_server(never_answer) as silent:
        hooked = await cadence.post_lead(
            await cadence.schedule([{"type": "webhook", "url": silent.url("/hook")}])
        )
        texted = await other.post_lead(
            await other.schedule([{"type": "sms", "body": "hi"}]), caller_id="+12125550124"
        )

        # Well inside the silent URL's two timeouts (connect, then read), the round is over:
        # the other company's text has gone out and is recorded.
        async with asyncio.timeout(TIMEOUT_SECONDS):
            assert await job(context) == 2
        [message] = await other.messages(texted["id"])
        assert message.status == "delivered"
        assert (await cadence.timeline(hooked["id"]))[-1] != "webhook_failed"

        await job.settle()

    assert (await cadence.timeline(hooked["id"]))[-1] == "webhook_failed"


async def test_past_its_backlog_a_companys_next_webhook_action_fails_at_once(
    cadence: Cadence,
) -> None:
    context = state_of(cadence.app).worker_context
    recorded: list[Sent] = []
    sends = WebhookSends(lambda sql, sent, now: recorded.extend(sent), backlog=1)
    async with raw_server(never_answer) as silent:
        effects = [
            CallWebhook(cadence.tenant.company.id, n, 0, "POST", silent.url("/hook"), "", {})
            for n in (1, 2)
        ]

        [refused] = sends.start(effects, context)

        assert refused.effect is effects[1]
        assert not refused.result.accepted
        assert refused.result.error == (
            "not sent: 1 of this company's webhooks were already waiting for their targets"
        )
        await sends.settle()
    assert [sent.effect for sent in recorded] == [effects[0]]
