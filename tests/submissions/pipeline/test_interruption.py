"""A worker stopped mid-round never delivers a lead twice, and never loses one it had not sent.

The worker is stopped by cancelling its round where it stands (the process-level equivalent
is ``kill -9``: the state left in the database is the same, as every decision is committed
before the network is touched).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from leadflow.app_state import state_of
from leadflow.db.statements import Sql
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.job import INTERRUPTED, SubmissionJob
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint


async def test_a_delivery_interrupted_while_sending_becomes_error_and_is_not_sent_again(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    url = buyer.on("/slow", Answer(200, '{"status": "success"}', delay=2.0))
    campaign = await pipeline.campaign(endpoint=json_endpoint(url, timeoutSeconds=5))
    row = await pipeline.submit(campaign)
    stopped = SubmissionJob()
    await stopped(state_of(pipeline.app).worker_context)
    for _ in range(200):
        if buyer.received("/slow"):
            break
        await asyncio.sleep(0.01)
    await stopped.abandon()  # the worker dies while the buyer is still answering
    await stopped.aclose()  # and its connections with it
    sending = await pipeline.submission(row)
    assert sending.status == "processing"
    assert sending.delivery["startedAt"] == pipeline.clock.now().isoformat()

    assert await pipeline.work() == 0  # its lease still runs
    pipeline.clock.advance(minutes=5)
    await pipeline.work()

    ended = await pipeline.submission(row)
    assert ended.status == "error"
    assert ended.delivery["responseMessage"] == INTERRUPTED
    assert ended.steps[-1]["outcome"] == "interrupted"
    assert (await pipeline.lead(row)).status == "error"
    assert len(buyer.received("/slow")) == 1


async def test_a_claim_whose_worker_stopped_before_deciding_is_worked_again(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    row = await pipeline.submit(campaign)
    now = pipeline.clock.now()

    def claim_and_die(sql: Sql) -> int:
        return len(repository.claim_due(sql, now, 10, now + timedelta(seconds=60), 60)[0])

    assert await state_of(pipeline.app).committer.run(claim_and_die) == 1
    assert await pipeline.work() == 0
    assert buyer.requests == []

    pipeline.clock.advance(seconds=61)
    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert len(buyer.received("/buy")) == 1
