"""A schedule's webhook action to a URL that never answers holds up no one else: the cadence's
round goes on without it (another company's lead is texted), and its answer, or its timeout,
is written to the lead's timeline when it comes."""

from __future__ import annotations

import asyncio

import pytest

from leadflow.app_state import state_of
from leadflow.cadence.job import CadenceJob
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
