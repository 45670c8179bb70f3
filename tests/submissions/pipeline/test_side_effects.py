"""What a submission does besides delivering: duplicate detection, webhook rows, pixels, test
leads, the AI qualifier and the first-submission action."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import orjson
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Lead
from leadflow.submissions.pipeline.job import SubmissionJob
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint


def chat_answer(content: str) -> Answer:
    return Answer(200, orjson.dumps({"choices": [{"message": {"content": content}}]}).decode())


async def test_identical_submissions_at_the_same_instant_deliver_once(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    rows = await asyncio.gather(*(pipeline.submit(campaign) for _ in range(6)))
    context = state_of(pipeline.app).worker_context

    # Two workers race for them.
    racers = [SubmissionJob(), SubmissionJob()]
    await asyncio.gather(*(job(context) for job in racers))
    await asyncio.gather(*(job.settle() for job in racers))
    await asyncio.gather(*(job.aclose() for job in racers))
    await pipeline.work()

    statuses = sorted([(await pipeline.submission(row)).status for row in rows])
    assert statuses == ["delivered"] + ["duplicate"] * 5
    assert len(buyer.received("/buy")) == 1


async def test_same_email_is_a_duplicate_within_the_window_and_not_after(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    endpoint = json_endpoint(
        buyer.on("/buy", ACCEPTED_JSON), payload=[{"clientKey": "email", "sourceKey": "email"}]
    )
    campaign = await pipeline.campaign(endpoint=endpoint, window_days=2)
    first = await pipeline.submit(campaign, phone=None)
    await pipeline.work()
    pipeline.clock.advance(days=1)
    again = await pipeline.submit(campaign, phone=None, email="ADA@example.com ")
    await pipeline.work()
    pipeline.clock.advance(days=1, seconds=1)
    later = await pipeline.submit(campaign, phone=None)
    await pipeline.work()

    assert (await pipeline.submission(first)).status == "delivered"
    duplicate = await pipeline.submission(again)
    assert duplicate.status == "duplicate"
    assert "within 2 days" in duplicate.steps[-1]["reason"]
    assert (await pipeline.submission(later)).status == "delivered"


async def test_test_leads_skip_duplicate_detection_and_pixels(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    pixel = buyer.on("/pixel", Answer(200, ""))
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        pixels=[{"url": pixel, "on": "delivered"}],
    )
    rows = [await pipeline.submit(campaign, is_test=True) for _ in range(2)]

    await pipeline.work()

    assert [(await pipeline.submission(row)).status for row in rows] == ["delivered"] * 2
    assert buyer.received("/pixel") == []


async def test_webhook_rows_are_written_for_the_outcome_and_processed(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    hook = buyer.url("/hook")
    for event in ("lead.delivered", "lead.processed", "lead.disqualified", "lead.queued"):
        await pipeline.subscribe(event, hook)
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    row = await pipeline.submit(campaign)

    await pipeline.work()

    payloads = await pipeline.webhook_payloads()
    assert [p["event"] for p in payloads] == ["lead.delivered", "lead.processed"]
    data = payloads[0]["data"]
    assert set(data) == {
        "event",
        "leadId",
        "submissionId",
        "campaignId",
        "status",
        "timestamp",
        "data",
    }
    assert data["event"] == "lead.delivered"
    assert data["leadId"] == (await pipeline.lead(row)).uuid
    assert data["submissionId"] == row["uuid"]
    assert data["campaignId"] == campaign.uuid
    assert data["status"] == "delivered"
    assert data["data"]["delivery"]["clientLeadId"] == "B-100"


async def test_disqualified_and_queued_leads_announce_themselves(pipeline: Pipeline) -> None:
    hook = "http://127.0.0.1:9/hook"
    for event in ("lead.disqualified", "lead.queued", "lead.processed"):
        await pipeline.subscribe(event, hook)
    rule = {"conditions": [{"field": "address.state", "operator": "equals", "value": "CO"}]}
    picky = await pipeline.campaign(disqualificationRules=[{**rule, "name": "No CO"}])
    closed = await pipeline.campaign(hours={"days": {}})
    await pipeline.submit(picky)
    await pipeline.submit(closed, phone="+12125550124", email="b@example.com")

    await pipeline.work()

    payloads = await pipeline.webhook_payloads()
    events = sorted((p["event"], p["data"]["status"]) for p in payloads)
    assert events == [
        ("lead.disqualified", "disqualified"),
        ("lead.processed", "disqualified"),
        ("lead.queued", "queued"),
    ]
    disqualified = next(p for p in payloads if p["event"] == "lead.disqualified")
    assert disqualified["data"]["data"]["reason"] == "disqualified by 'No CO'"


async def test_fire_once_pixel_fires_once_per_lead_across_submissions(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    pixel = buyer.on("/pixel", Answer(200, ""))
    every = buyer.on("/every", Answer(200, ""))
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        pixels=[
            {"url": pixel, "on": "delivered", "fireOnce": True},
            {"url": every, "on": "qualified", "method": "POST", "fireOnce": False},
        ],
    )
    first = await pipeline.submit(campaign)
    await pipeline.work()
    await pipeline.submit(campaign, type="repost", lead_id=first["lead_id"])
    await pipeline.work()

    (fired,) = buyer.received("/pixel")
    query = parse_qs(urlsplit(fired.path).query)
    assert query["event"] == ["delivered"]
    assert query["leadId"] == [(await pipeline.lead(first)).uuid]
    assert len(buyer.received("/every")) == 2
    assert len(buyer.received("/buy")) == 2
    assert len((await pipeline.lead(first)).pixels_fired) == 1


async def test_ai_qualifier_can_decline_a_lead_the_rules_passed(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    verdict = '{"qualified": false, "score": 12, "reason": "not a homeowner"}'
    ai = buyer.on("/v1/chat/completions", chat_answer(verdict))
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        aiQualifier={
            "enabled": True,
            "baseUrl": ai.removesuffix("/chat/completions"),
            "model": "local",
            "apiKey": "k",
            "instructions": "Homeowners only.",
        },
    )
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "disqualified"
    assert submission.qualification == {
        "passed": False,
        "score": 12.0,
        "method": "ai",
        "reason": "not a homeowner",
    }
    (asked,) = buyer.received("/v1/chat/completions")
    assert asked.headers["Authorization"] == "Bearer k"
    request = orjson.loads(asked.body)
    assert request["model"] == "local"
    assert "Homeowners only." in request["messages"][1]["content"]
    assert buyer.received("/buy") == []


async def test_an_unreachable_or_rambling_ai_leaves_the_rules_verdict(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    rambling = buyer.on("/ramble/chat/completions", chat_answer("I think so, probably."))
    down = "http://127.0.0.1:9/v1"
    campaigns = [
        await pipeline.campaign(
            endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
            aiQualifier={"enabled": True, "baseUrl": base, "model": "m", "timeoutSeconds": 1},
        )
        for base in (rambling, down)
    ]
    rows = [
        await pipeline.submit(campaign, phone=f"+1212555010{i}", email=f"{i}@example.com")
        for i, campaign in enumerate(campaigns)
    ]

    await pipeline.work()

    for row in rows:
        submission = await pipeline.submission(row)
        assert submission.status == "delivered"
        assert submission.qualification["method"] == "rules"
        ai_step = next(s for s in submission.steps if s["step"] == "ai_qualifier")
        assert ai_step["outcome"] == "unavailable"


async def test_first_submission_action_enrols_the_phone_in_the_schedule(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    schedule = await pipeline.factory.schedule(pipeline.tenant)
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        firstSubmissionAction={"scheduleId": schedule.id},
    )
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    enrolled = next(s for s in submission.steps if s["step"] == "first_submission_action")
    assert enrolled["outcome"] == "created"
    async with state_of(pipeline.app).sessionmaker() as session:
        (lead,) = (await session.scalars(select(Lead))).all()
    assert lead.schedule_id == schedule.id
    assert lead.caller_id == "+12125550123"
    assert lead.email == "ada@example.com"
    assert lead.tokens["first_name"] == "Ada"
    assert lead.tokens["leadsail_lead_id"] == (await pipeline.lead(row)).uuid
    assert enrolled["scheduleLeadId"] == lead.uuid
