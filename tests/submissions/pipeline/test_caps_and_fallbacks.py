"""Caps, hours and fallbacks: a lead a campaign cannot take now waits, or goes elsewhere.

The frozen clock starts on Monday 5 January 2026, 15:00 UTC: 10:00 in New York.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint

NEW_YORK_MIDNIGHT = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)
NEW_YORK_NOON = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


async def test_daily_cap_queues_until_midnight_in_the_campaigns_zone_then_delivers(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        caps={"daily": 1, "onCap": {"action": "queue"}},
    )
    first = await pipeline.submit(campaign)
    second = await pipeline.submit(campaign, phone="+12125550124", email="b@example.com")

    await pipeline.work()

    assert (await pipeline.submission(first)).status == "delivered"
    waiting = await pipeline.submission(second)
    assert waiting.status == "queued"
    assert waiting.next_attempt_at == NEW_YORK_MIDNIGHT
    assert waiting.steps[-1]["step"] == "daily"
    assert waiting.steps[-1]["reason"] == "daily cap of 1 reached"
    assert (await pipeline.lead(second)).status == "queued"

    pipeline.clock.current = NEW_YORK_MIDNIGHT - timedelta(minutes=1)
    assert await pipeline.work() == 0
    assert len(buyer.received("/buy")) == 1

    pipeline.clock.current = NEW_YORK_MIDNIGHT
    await pipeline.work()

    delivered = await pipeline.submission(second)
    assert delivered.status == "delivered"
    assert delivered.delivered_at == NEW_YORK_MIDNIGHT
    assert len(buyer.received("/buy")) == 2
    assert (await pipeline.lead(second)).status == "delivered"


async def test_a_lead_the_buyer_rejects_gives_its_place_under_the_cap_back(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    url = buyer.on("/buy", Answer(200, '{"status": "rejected"}'), ACCEPTED_JSON)
    campaign = await pipeline.campaign(endpoint=json_endpoint(url), caps={"daily": 1})
    first = await pipeline.submit(campaign)
    await pipeline.work()
    second = await pipeline.submit(campaign, phone="+12125550124", email="b@example.com")
    await pipeline.work()

    assert (await pipeline.submission(first)).status == "rejected"
    assert (await pipeline.submission(second)).status == "delivered"


async def test_off_hours_lead_is_queued_until_the_hours_open(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        hours={"days": {"monday": {"open": "12:00", "close": "17:00"}}},
    )
    row = await pipeline.submit(campaign)

    await pipeline.work()

    waiting = await pipeline.submission(row)
    assert waiting.status == "queued"
    assert waiting.next_attempt_at == NEW_YORK_NOON
    assert waiting.steps[-1]["reason"] == "outside the campaign's delivery hours"

    pipeline.clock.current = NEW_YORK_NOON
    await pipeline.work()

    assert (await pipeline.submission(row)).status == "delivered"


async def test_lifetime_cap_with_next_priority_sends_the_lead_to_the_fallback(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    fallback = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/fb", ACCEPTED_JSON)))
    primary = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/primary", ACCEPTED_JSON)),
        caps={"lifetime": 1, "onCap": {"action": "next_priority"}},
        fallbackCampaignIds=[fallback.uuid],
    )
    first = await pipeline.submit(primary)
    second = await pipeline.submit(primary, phone="+12125550124", email="b@example.com")

    await pipeline.work()

    assert (await pipeline.submission(first)).delivery["campaignId"] == primary.uuid
    moved = await pipeline.submission(second)
    assert moved.status == "delivered"
    assert moved.delivery["campaignId"] == fallback.uuid
    outcomes = [(s["step"], s["outcome"]) for s in moved.steps]
    assert ("lifetime", "capped") in outcomes
    assert ("fallback", "used") in outcomes
    assert len(buyer.received("/primary")) == len(buyer.received("/fb")) == 1


async def test_cap_action_campaign_sends_the_lead_to_the_named_campaign(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    overflow = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/over", ACCEPTED_JSON)))
    capped = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/capped", ACCEPTED_JSON)),
        caps={"daily": 0, "onCap": {"action": "campaign", "targetCampaignId": overflow.code}},
    )
    row = await pipeline.submit(capped)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == overflow.uuid
    assert buyer.received("/capped") == []


async def test_lead_disqualified_by_its_campaign_goes_to_a_fallback_that_qualifies_it(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    picky = {"conditions": [{"field": "address.state", "operator": "equals", "value": "CO"}]}
    deeper = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/deep", ACCEPTED_JSON)))
    strict_fallback = await pipeline.campaign(
        disqualificationRules=[{**picky, "name": "No CO either"}],
        fallbackCampaignIds=[deeper.uuid],
    )
    easy_fallback = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/fb", ACCEPTED_JSON)))
    primary = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/primary", ACCEPTED_JSON)),
        disqualificationRules=[{**picky, "name": "No CO"}],
        fallbackCampaignIds=[strict_fallback.uuid, "no-such-campaign", easy_fallback.code],
    )
    row = await pipeline.submit(primary)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == easy_fallback.uuid
    reasons = [s.get("reason") for s in submission.steps if s["outcome"] == "disqualified"]
    assert reasons == ["disqualified by 'No CO'", "disqualified by 'No CO either'"]
    assert buyer.received("/deep") == []


async def test_no_fallback_qualifying_leaves_the_lead_disqualified_by_its_own_campaign(
    pipeline: Pipeline,
) -> None:
    picky = {"conditions": [{"field": "address.state", "operator": "equals", "value": "CO"}]}
    fallback = await pipeline.campaign(disqualificationRules=[{**picky, "name": "Fallback"}])
    primary = await pipeline.campaign(
        disqualificationRules=[{**picky, "name": "Primary"}],
        fallbackCampaignIds=[fallback.uuid],
    )
    row = await pipeline.submit(primary)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "disqualified"
    assert submission.qualification["reason"] == "disqualified by 'Primary'"
