"""The pipeline behind the real API: a lead posted to ``/api/v1/leads/submit`` reaches the
buyer, a repost and a manual delivery go through, and a woken worker does not wait for its
poll interval."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from leadflow.app_state import state_of
from leadflow.submissions.pipeline.job import SubmissionJob
from leadflow.worker.context import WorkerContext
from leadflow.worker.runner import Worker
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint
from tests.support.waiting import eventually


def headers(pipeline: Pipeline) -> dict[str, str]:
    return {"X-API-Key": f"{pipeline.tenant.public_key}.{pipeline.tenant.private_key}"}


def body(code: str, **fields: Any) -> dict[str, Any]:
    return {
        "campaignId": code,
        "firstName": "jane",
        "lastName": "smith",
        "email": "Jane@Example.com",
        "phone": "(719) 313-2645",
        "address": {"street": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202"},
        "questionnaire": {"debt_type": "credit card"},
        **fields,
    }


async def show(client: httpx.AsyncClient, pipeline: Pipeline, lead_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/leads/{lead_id}", headers=headers(pipeline))
    assert answer.status_code == 200, answer.text
    shown: dict[str, Any] = answer.json()["data"]
    return shown


async def test_a_submitted_lead_reaches_the_buyer_and_its_outcome_is_shown(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    answer = await client.post(
        "/api/v1/leads/submit", json=body(campaign.code), headers=headers(pipeline)
    )
    assert answer.status_code == 200, answer.text
    lead_id = answer.json()["leadId"]

    await pipeline.work()

    (request,) = buyer.received("/buy")
    assert orjson.loads(request.body) == {
        "first_name": "Jane",
        "phone": "+17193132645",
        "state": "CO",
        "debt": "credit card",
    }
    shown = await show(client, pipeline, lead_id)
    assert shown["status"] == "delivered"


async def test_a_rejected_lead_reposted_with_changes_is_delivered(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    url = buyer.on("/buy", Answer(200, '{"status": "rejected"}'), ACCEPTED_JSON)
    campaign = await pipeline.campaign(endpoint=json_endpoint(url))
    answer = await client.post(
        "/api/v1/leads/submit", json=body(campaign.code), headers=headers(pipeline)
    )
    lead_id = answer.json()["leadId"]
    await pipeline.work()
    assert (await show(client, pipeline, lead_id))["status"] == "rejected"

    repost = await client.post(
        f"/api/v1/leads/{lead_id}/repost",
        json={"modifiedPayload": {"address": {"state": "UT"}}},
        headers=headers(pipeline),
    )
    assert repost.status_code == 200, repost.text
    await pipeline.work()

    assert (await show(client, pipeline, lead_id))["status"] == "delivered"
    assert orjson.loads(buyer.received("/buy")[1].body)["state"] == "UT"


class _Rounds:
    """A job that says when it has finished a round (the worker reads the rest of the job's
    attributes, ``on_wake``, ``more_due``, ``settle``..., through it)."""

    def __init__(self, job: SubmissionJob) -> None:
        self.job = job
        self.finished = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)

    async def __call__(self, context: WorkerContext) -> int:
        try:
            return await self.job(context)
        finally:
            self.finished.set()


async def test_a_woken_worker_delivers_without_waiting_for_its_poll(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    context = state_of(pipeline.app).worker_context
    context.settings.worker_poll_seconds = 60.0
    job = _Rounds(SubmissionJob())
    worker = Worker(context, [job])  # type: ignore[list-item]
    worker.start()
    try:
        # The first round finds nothing: without a wake the worker now sleeps for a minute.
        await asyncio.wait_for(job.finished.wait(), 10)
        answer = await client.post(
            "/api/v1/leads/submit", json=body(campaign.code), headers=headers(pipeline)
        )
        assert answer.status_code == 200
        worker.wake()
        # Well inside the 60 s poll: only the wake can explain a delivery by then.
        await eventually(lambda: buyer.received("/buy"), seconds=30, why="the wake was lost")
        assert len(buyer.received("/buy")) == 1
    finally:
        await worker.stop()


async def test_stopping_the_worker_waits_for_a_delivery_in_flight_to_be_recorded(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    slow = Answer(200, '{"status": "success", "leadId": "B-7"}', delay=0.5)
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", slow)))
    worker = Worker(state_of(pipeline.app).worker_context, [SubmissionJob()])
    worker.start()
    try:
        answer = await client.post(
            "/api/v1/leads/submit", json=body(campaign.code), headers=headers(pipeline)
        )
        worker.wake()
        await eventually(lambda: buyer.received("/buy"))  # the delivery has started
    finally:
        await worker.stop()
    shown = await show(client, pipeline, answer.json()["leadId"])
    assert shown["status"] == "delivered"
