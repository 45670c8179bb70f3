"""A company whose buyer or AI qualifier is slow holds up no other company: its work holds at
most its share of the worker's slots, and the rounds never wait for its URLs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from leadflow.app_state import state_of
from leadflow.models import Campaign
from leadflow.submissions.pipeline.job import CONCURRENT_SENDS
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint
from tests.support.raw_http import dribble, never_answer, raw_server
from tests.support.waiting import eventually

SLOW_SECONDS = 10.0
AI_TIMEOUT_SECONDS = 3.0


async def test_a_slow_buyers_burst_leaves_slots_for_another_companys_leads(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    slow = json_endpoint(
        buyer.on("/slow", Answer(200, ACCEPTED_JSON.body, delay=SLOW_SECONDS)), timeoutSeconds=30
    )
    crowding = await pipeline.campaign(endpoint=slow)
    # Enough of the first company's, due first, to fill every slot of the worker.
    crowd = [
        await pipeline.submit(crowding, phone=f"+1212555{n:04d}", email=f"{n}@example.com")
        for n in range(CONCURRENT_SENDS)
    ]
    tenant = await pipeline.factory.tenant()
    other = Pipeline(pipeline.app, pipeline.factory, tenant, pipeline.clock)
    fast = json_endpoint(buyer.on("/fast", ACCEPTED_JSON))
    waiting = await other.submit(await other.campaign(endpoint=fast))
    context = state_of(pipeline.app).worker_context
    share = context.settings.delivery_slots_per_company

    deadline = time.monotonic() + SLOW_SECONDS * 0.8
    while (await pipeline.submission(waiting)).status != "delivered":
        assert time.monotonic() < deadline, "the other company's lead waited for the slow buyer"
        await pipeline.job(context)
        await asyncio.sleep(0.05)

    # The first company's share is on its way to the slow buyer; the rest wait their turn.
    statuses = [(await pipeline.submission(row)).status for row in crowd]
    assert statuses.count("processing") == share < CONCURRENT_SENDS
    assert statuses.count("new") == CONCURRENT_SENDS - share
    await pipeline.job.abandon()  # the slow buyer's answers are not this test's concern


async def test_an_ai_qualifier_that_never_answers_holds_up_no_other_company(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    """The AI qualifier is the company's URL: asking it, then deciding and delivering, runs
    beside the rounds, so the other company's lead is delivered while it is being asked."""
    async with raw_server(never_answer) as silent:
        asked = await pipeline.submit(await _asking(pipeline, buyer, silent.url("/v1")))
        tenant = await pipeline.factory.tenant()
        other = Pipeline(pipeline.app, pipeline.factory, tenant, pipeline.clock)
        fast = json_endpoint(buyer.on("/fast", ACCEPTED_JSON))
        waiting = await other.submit(await other.campaign(endpoint=fast))
        context = state_of(pipeline.app).worker_context

        # Well inside the silent qualifier's timeout ...
        async with asyncio.timeout(AI_TIMEOUT_SECONDS / 2):
            await pipeline.job(context)
            await eventually(
                lambda: status_is(other, waiting, "delivered"), why="the other company's lead"
            )
        # ... while the first company's is still being asked.
        assert (await pipeline.submission(asked)).status == "processing"

        await pipeline.job.settle()

    # The qualifier never answered: the rules' verdict stands and the lead is delivered.
    submission = await pipeline.submission(asked)
    assert submission.status == "delivered"
    ai_step = next(s for s in submission.steps if s["step"] == "ai_qualifier")
    assert ai_step["outcome"] == "unavailable"


async def status_is(pipeline: Pipeline, row: dict[str, Any], status: str) -> bool:
    return (await pipeline.submission(row)).status == status


async def test_a_lead_whose_ai_qualifier_outlasts_the_lease_is_delivered_once(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    """While its AI qualifier is asked, the submission's lease covers the qualifier's timeout:
    a round meanwhile, after the worker's usual lease has run out, finds nothing to sweep, so
    no second round asks, decides and delivers it again."""
    async with raw_server(never_answer) as silent:
        asked = await pipeline.submit(await _asking(pipeline, buyer, silent.url("/v1")))
        context = state_of(pipeline.app).worker_context
        await pipeline.job(context)  # claimed; the qualifier is being asked
        await eventually(
            lambda: _lease_stretched(pipeline, asked),
            seconds=AI_TIMEOUT_SECONDS / 2,  # before the qualifier gives up
            why="the lease stretched over the qualifier's timeout",
        )
        assert (await pipeline.submission(asked)).status == "processing"
        assert buyer.received("/buy") == []

        # The usual lease has run out, the qualifier's has not: the sweep leaves it alone.
        pipeline.clock.advance(seconds=context.settings.worker_lease_seconds + 1)
        assert await pipeline.job(context) == 0
        await pipeline.job.settle()

    submission = await pipeline.submission(asked)
    assert submission.status == "delivered"
    assert len(buyer.received("/buy")) == 1
    ai_step = next(s for s in submission.steps if s["step"] == "ai_qualifier")
    assert ai_step["outcome"] == "unavailable"


async def _lease_stretched(pipeline: Pipeline, row: dict[str, Any]) -> bool:
    submission = await pipeline.submission(row)
    lease = state_of(pipeline.app).worker_context.settings.worker_lease_seconds
    held_until = pipeline.clock.now().timestamp() + lease
    return submission.next_attempt_at is not None and (
        submission.next_attempt_at.timestamp() > held_until
    )


async def test_an_ai_qualifier_that_dribbles_its_answer_is_given_up_at_its_timeout(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    """The qualifier's timeout bounds its whole exchange, not each read: an answer of a byte
    every 0.1 s (100 s in all) is given up after one second, and the rules' verdict stands."""
    async with raw_server(dribble) as slow:
        row = await pipeline.submit(await _asking(pipeline, buyer, slow.url("/v1"), 1))
        async with asyncio.timeout(15):
            await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    ai_step = next(s for s in submission.steps if s["step"] == "ai_qualifier")
    assert ai_step["outcome"] == "unavailable"
    assert ai_step["reason"] == "AI endpoint did not answer within 1 s"


async def _asking(
    pipeline: Pipeline, buyer: Buyer, base_url: str, seconds: float = AI_TIMEOUT_SECONDS
) -> Campaign:
    """A campaign whose AI qualifier is at ``base_url``; its buyer accepts."""
    return await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        aiQualifier={"enabled": True, "baseUrl": base_url, "model": "m", "timeoutSeconds": seconds},
    )
