"""A company whose buyer is slow holds at most its share of the worker's delivery slots: the
other companies' leads are delivered while its buyer makes them wait."""

from __future__ import annotations

import asyncio
import time

from leadflow.app_state import state_of
from leadflow.submissions.pipeline.job import CONCURRENT_SENDS
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint

SLOW_SECONDS = 10.0


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
