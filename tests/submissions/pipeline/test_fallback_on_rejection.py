"""Step 8 of the LeadSail pipeline: "Fallback: if rejected, try fallback campaigns". A buyer's
rejection sends the lead on to the campaign's fallbacks in their order, one level deep, and
the submission's steps show every delivery attempt with its campaign, request and answer."""

from __future__ import annotations

from typing import Any

import httpx

from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint
from tests.submissions.pipeline.test_through_the_api import body, headers, show

REJECTED = Answer(200, '{"status": "rejected", "reason": "out of area"}')


def deliveries(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in steps if s["step"] == "delivery"]


async def test_a_rejected_lead_is_delivered_to_the_first_fallback_that_accepts_it(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    second = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/second", ACCEPTED_JSON)))
    first = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/first", REJECTED)))
    primary = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/primary", REJECTED)),
        fallbackCampaignIds=[first.uuid, second.code],
    )
    answer = await client.post(
        "/api/v1/leads/submit", json=body(primary.code), headers=headers(pipeline)
    )
    assert answer.status_code == 200, answer.text

    await pipeline.work()

    shown = await show(client, pipeline, answer.json()["leadId"])
    assert shown["status"] == "delivered"
    (submission,) = shown["submissions"]
    assert submission["status"] == "delivered"
    assert submission["delivery"]["campaignId"] == second.uuid
    assert submission["delivery"]["clientLeadId"] == "B-100"
    attempts = deliveries(submission["steps"])
    assert [(s["campaignId"], s["outcome"]) for s in attempts] == [
        (primary.uuid, "rejected"),
        (first.uuid, "rejected"),
        (second.uuid, "accepted"),
    ]
    assert [s["request"]["url"] for s in attempts] == [
        buyer.url("/primary"),
        buyer.url("/first"),
        buyer.url("/second"),
    ]
    assert attempts[0]["request"]["method"] == "POST"
    assert attempts[0]["response"]["statusCode"] == 200
    assert attempts[0]["response"]["body"] == REJECTED.body
    assert attempts[0]["reason"] == "out of area"
    assert attempts[2]["response"]["clientLeadId"] == "B-100"
    assert len(buyer.received("/primary")) == len(buyer.received("/first")) == 1
    assert len(buyer.received("/second")) == 1


async def test_a_lead_every_fallback_rejects_ends_rejected_after_trying_each_once(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    deeper = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/deeper", ACCEPTED_JSON)))
    fallback = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/fallback", REJECTED)),
        fallbackCampaignIds=[deeper.uuid],  # one level deep: never followed
    )
    primary = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/primary", REJECTED)),
        fallbackCampaignIds=[fallback.uuid],
    )
    row = await pipeline.submit(primary)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "rejected"
    assert (await pipeline.lead(row)).status == "rejected"
    assert [(s["campaignId"], s["outcome"]) for s in deliveries(submission.steps)] == [
        (primary.uuid, "rejected"),
        (fallback.uuid, "rejected"),
    ]
    assert submission.delivery["campaignId"] == fallback.uuid
    assert submission.delivery["success"] is False
    assert buyer.received("/deeper") == []
    assert len(buyer.received("/primary")) == len(buyer.received("/fallback")) == 1


async def test_a_fallback_that_disqualifies_or_is_capped_is_passed_over(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    no_co = {
        "name": "No CO",
        "conditions": [{"field": "address.state", "operator": "equals", "value": "CO"}],
    }
    picky = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/picky", ACCEPTED_JSON)), disqualificationRules=[no_co]
    )
    full = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/full", ACCEPTED_JSON)),
        caps={"daily": 0, "onCap": {"action": "queue"}},
    )
    last = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/last", ACCEPTED_JSON)))
    primary = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/primary", REJECTED)),
        fallbackCampaignIds=[picky.uuid, full.uuid, last.uuid],
    )
    row = await pipeline.submit(primary)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == last.uuid
    outcomes = [(s["step"], s["outcome"], s.get("campaignId")) for s in submission.steps]
    assert ("disqualification", "disqualified", picky.uuid) in outcomes
    assert ("daily", "capped", full.uuid) in outcomes
    assert ("fallback", "used", last.uuid) in outcomes
    assert buyer.received("/picky") == buyer.received("/full") == []


async def test_a_buyer_that_accepts_at_once_leaves_the_fallbacks_alone(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    fallback = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/fb", ACCEPTED_JSON)))
    primary = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/primary", ACCEPTED_JSON)),
        fallbackCampaignIds=[fallback.uuid],
    )
    row = await pipeline.submit(primary)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert (submission.status, submission.delivery["campaignId"]) == ("delivered", primary.uuid)
    assert buyer.received("/fb") == []
