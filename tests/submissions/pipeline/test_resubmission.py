"""A deliberate re-submission (``leadId`` on ``/leads/submit``, or ``repost``) is never a
duplicate of the same lead's own earlier submissions: duplicates are other leads with the same
phone or e-mail within the campaign's window."""

from __future__ import annotations

from typing import Any

import httpx

from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint
from tests.submissions.pipeline.test_through_the_api import body, headers, show

REJECTED = Answer(200, '{"status": "rejected", "reason": "out of area"}')


async def submit(client: httpx.AsyncClient, pipeline: Pipeline, **fields: Any) -> str:
    answer = await client.post("/api/v1/leads/submit", json=fields, headers=headers(pipeline))
    assert answer.status_code == 200, answer.text
    lead_id: str = answer.json()["leadId"]
    return lead_id


async def test_a_lead_resubmitted_by_its_lead_id_is_not_its_own_duplicate(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", REJECTED, ACCEPTED_JSON)), window_days=30
    )
    lead_id = await submit(client, pipeline, **body(campaign.code))
    await pipeline.work()
    assert (await show(client, pipeline, lead_id))["status"] == "rejected"

    again = await submit(client, pipeline, campaignId=campaign.code, leadId=lead_id)
    assert again == lead_id
    await pipeline.work()

    shown = await show(client, pipeline, lead_id)
    assert shown["status"] == "delivered"
    newest = shown["submissions"][0]
    assert (newest["submissionNumber"], newest["status"]) == (2, "delivered")
    assert {"step": "duplicate", "outcome": "unique"} in newest["steps"]
    assert len(buyer.received("/buy")) == 2


async def test_a_rejected_resubmission_can_be_reposted(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", REJECTED, REJECTED, ACCEPTED_JSON))
    )
    lead_id = await submit(client, pipeline, **body(campaign.code))
    await pipeline.work()
    await submit(client, pipeline, campaignId=campaign.code, leadId=lead_id)
    await pipeline.work()
    assert (await show(client, pipeline, lead_id))["status"] == "rejected"

    repost = await client.post(f"/api/v1/leads/{lead_id}/repost", headers=headers(pipeline))
    assert repost.status_code == 200, repost.text
    assert repost.json()["submissionNumber"] == 3
    await pipeline.work()

    assert (await show(client, pipeline, lead_id))["status"] == "delivered"
    assert len(buyer.received("/buy")) == 3


async def test_another_lead_with_the_same_phone_stays_a_duplicate_when_resubmitted(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    first = await submit(client, pipeline, **body(campaign.code))
    await pipeline.work()
    second = await submit(client, pipeline, **body(campaign.code, email="other@example.com"))
    await pipeline.work()
    assert (await show(client, pipeline, second))["status"] == "duplicate"

    await submit(client, pipeline, campaignId=campaign.code, leadId=second)
    await pipeline.work()

    assert (await show(client, pipeline, second))["status"] == "duplicate"
    assert (await show(client, pipeline, first))["status"] == "delivered"
    assert len(buyer.received("/buy")) == 1


async def test_the_first_lead_resubmitted_after_a_duplicate_of_it_is_still_not_a_duplicate(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    first = await submit(client, pipeline, **body(campaign.code))
    await pipeline.work()
    await submit(client, pipeline, **body(campaign.code, email="other@example.com"))
    await pipeline.work()

    await submit(client, pipeline, campaignId=campaign.code, leadId=first)
    await pipeline.work()

    shown = await show(client, pipeline, first)
    assert [s["status"] for s in shown["submissions"]] == ["delivered", "delivered"]
    assert len(buyer.received("/buy")) == 2
