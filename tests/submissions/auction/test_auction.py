"""Ping/post: a ``ping_post`` campaign pings its buyers at once with the lead's non-personal
fields, posts the full lead to the highest bid at or above the floor (with that buyer's ping
id), goes on to the next bid when a post is rejected, and records every ping, bid and post in
the submission's steps. Real buyers on loopback, both engines."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models.auction import AuctionBid
from leadflow.models.campaign import Campaign
from tests.submissions.auction.conftest import bid, ping
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint
from tests.submissions.pipeline.test_through_the_api import body, headers, show

REJECTED = Answer(200, '{"status": "rejected", "reason": "out of area"}')


def of(steps: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [s for s in steps if s["step"] == name]


async def buyer_campaign(pipeline: Pipeline, buyer: Buyer, name: str, **config: Any) -> Campaign:
    """A buyer: its campaign's post endpoint accepts the lead unless told otherwise."""
    answer = config.pop("post", ACCEPTED_JSON)
    return await pipeline.campaign(
        endpoint=json_endpoint(buyer.on(f"/{name}/post", answer)), **config
    )


async def auction(pipeline: Pipeline, *buyers: dict[str, Any], **rules: Any) -> Campaign:
    config = {"distribution": "ping_post", "pingPost": {"buyers": list(buyers), **rules}}
    fallbacks = config["pingPost"].pop("fallbackCampaignIds", None)
    if fallbacks:
        config["fallbackCampaignIds"] = fallbacks
    return await pipeline.campaign(**config)


async def test_the_highest_bid_wins_and_its_post_carries_the_ping_id(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    low = await buyer_campaign(pipeline, buyer, "low")
    high = await buyer_campaign(pipeline, buyer, "high")
    mid = await buyer_campaign(pipeline, buyer, "mid")
    sold = await auction(
        pipeline,
        {"campaignId": low.code, "ping": ping(buyer.on("/low/ping", Answer(200, bid(5, "L"))))},
        {
            "campaignId": high.uuid,
            "ping": ping(buyer.on("/high/ping", Answer(200, bid(12.5, "H-9")))),
        },
        {"campaignId": mid.code, "ping": ping(buyer.on("/mid/ping", Answer(200, bid(8, "M"))))},
    )
    answer = await client.post(
        "/api/v1/leads/submit", json=body(sold.code), headers=headers(pipeline)
    )
    assert answer.status_code == 200, answer.text

    await pipeline.work()

    shown = await show(client, pipeline, answer.json()["leadId"])
    assert shown["status"] == "delivered"
    (submission,) = shown["submissions"]
    assert submission["delivery"]["campaignId"] == high.uuid
    assert submission["delivery"]["revenue"] == 12.5
    assert submission["delivery"]["clientLeadId"] == "B-100"
    pings = of(submission["steps"], "ping")
    assert [(s["campaignId"], s["outcome"], s["bid"]) for s in pings] == [
        (low.uuid, "bid", 5),
        (high.uuid, "bid", 12.5),
        (mid.uuid, "bid", 8),
    ]
    assert pings[1]["pingId"] == "H-9"
    assert pings[1]["response"]["statusCode"] == 200
    assert pings[1]["durationMs"] >= 0
    (posted,) = of(submission["steps"], "delivery")
    assert (posted["campaignId"], posted["outcome"], posted["bid"]) == (high.uuid, "accepted", 12.5)
    (result,) = of(submission["steps"], "auction")
    assert (result["outcome"], result["buyerCampaignId"], result["revenue"]) == (
        "sold",
        high.uuid,
        12.5,
    )
    # the ping carried where the lead is and nothing personal; the post carried the ping id
    (sent_ping,) = buyer.received("/high/ping")
    assert orjson.loads(sent_ping.body) == {"state": "CO", "zip": "80202"}
    (sent_post,) = buyer.received("/high/post")
    assert orjson.loads(sent_post.body)["ping_id"] == "H-9"
    assert orjson.loads(sent_post.body)["first_name"] == "Jane"
    assert buyer.received("/low/post") == buyer.received("/mid/post") == []


async def test_a_rejected_post_goes_to_the_next_highest_bid(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    picky = await buyer_campaign(pipeline, buyer, "picky", post=REJECTED)
    keen = await buyer_campaign(pipeline, buyer, "keen")
    sold = await auction(
        pipeline,
        {"campaignId": picky.code, "ping": ping(buyer.on("/picky/ping", Answer(200, bid(20))))},
        {"campaignId": keen.code, "ping": ping(buyer.on("/keen/ping", Answer(200, bid(7, "K"))))},
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    posts = of(submission.steps, "delivery")
    assert [(s["campaignId"], s["outcome"]) for s in posts] == [
        (picky.uuid, "rejected"),
        (keen.uuid, "accepted"),
    ]
    assert posts[0]["reason"] == "out of area"
    assert submission.delivery["campaignId"] == keen.uuid
    assert submission.delivery["revenue"] == 7
    assert orjson.loads(buyer.received("/keen/post")[0].body)["ping_id"] == "K"


async def test_bids_after_the_deadline_and_pings_past_their_timeout_are_ignored(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    slow = await buyer_campaign(pipeline, buyer, "slow")
    timid = await buyer_campaign(pipeline, buyer, "timid")
    prompt = await buyer_campaign(pipeline, buyer, "prompt")
    sold = await auction(
        pipeline,
        # answers at 600 ms, after the 300 ms deadline, with the best bid
        {
            "campaignId": slow.code,
            "ping": ping(buyer.on("/slow/ping", Answer(200, bid(99), delay=0.6)), timeoutMs=2000),
        },
        # its own 100 ms timeout runs out first
        {
            "campaignId": timid.code,
            "ping": ping(buyer.on("/timid/ping", Answer(200, bid(50), delay=0.25)), timeoutMs=100),
        },
        {"campaignId": prompt.code, "ping": ping(buyer.on("/prompt/ping", Answer(200, bid(3))))},
        deadlineMs=300,
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == prompt.uuid
    outcomes = {s["campaignId"]: s["outcome"] for s in of(submission.steps, "ping")}
    assert outcomes == {slow.uuid: "late", timid.uuid: "timeout", prompt.uuid: "bid"}
    (result,) = of(submission.steps, "auction")
    assert result["decisionMs"] < 300 + 100
    assert buyer.received("/slow/post") == buyer.received("/timid/post") == []


async def test_garbage_answers_are_errors_and_never_win(pipeline: Pipeline, buyer: Buyer) -> None:
    html = await buyer_campaign(pipeline, buyer, "html")
    words = await buyer_campaign(pipeline, buyer, "words")
    broken = await buyer_campaign(pipeline, buyer, "broken")
    honest = await buyer_campaign(pipeline, buyer, "honest")
    sold = await auction(
        pipeline,
        {
            "campaignId": html.code,
            "ping": ping(buyer.on("/html/ping", Answer(200, "<html><<", "text/html"))),
        },
        {
            "campaignId": words.code,
            "ping": ping(buyer.on("/words/ping", Answer(200, '{"bid": "lots"}'))),
        },
        {"campaignId": broken.code, "ping": ping(buyer.on("/broken/ping", Answer(500, "oops")))},
        {"campaignId": honest.code, "ping": ping(buyer.on("/honest/ping", Answer(200, bid(1))))},
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == honest.uuid
    pings = {s["campaignId"]: s for s in of(submission.steps, "ping")}
    assert [pings[c.uuid]["outcome"] for c in (html, words, broken)] == ["error"] * 3
    assert "not an amount" in pings[words.uuid]["reason"]
    assert pings[broken.uuid]["response"]["statusCode"] == 500


async def test_no_bid_at_the_floor_sends_the_lead_to_the_fallbacks(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    cheap = await buyer_campaign(pipeline, buyer, "cheap")
    fallback = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/fallback", ACCEPTED_JSON)))
    sold = await auction(
        pipeline,
        {"campaignId": cheap.code, "ping": ping(buyer.on("/cheap/ping", Answer(200, bid(4.99))))},
        floor=5,
        fallbackCampaignIds=[fallback.code],
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == fallback.uuid
    (pinged,) = of(submission.steps, "ping")
    assert (pinged["outcome"], pinged["bid"]) == ("below_floor", 4.99)
    (result,) = of(submission.steps, "auction")
    assert result["outcome"] == "unsold"
    assert result["reason"] == "no bid at or above the floor by the deadline"
    assert buyer.received("/cheap/post") == []
    assert len(buyer.received("/fallback")) == 1


async def test_an_unsold_lead_without_fallbacks_ends_rejected(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    shy = await buyer_campaign(pipeline, buyer, "shy")
    sold = await auction(
        pipeline,
        {
            "campaignId": shy.code,
            "ping": ping(
                buyer.on("/shy/ping", Answer(200, '{"status": "rejected"}')),
                response={"statusPath": "$.status"},
            ),
        },
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "rejected"
    assert [s["outcome"] for s in of(submission.steps, "ping")] == ["no_bid"]
    assert submission.delivery["success"] is False


async def test_capped_closed_and_filtered_buyers_are_never_pinged(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    capped = await buyer_campaign(pipeline, buyer, "capped", caps={"daily": 0})
    closed = await buyer_campaign(pipeline, buyer, "closed", hours={"days": {}})
    choosy = await buyer_campaign(
        pipeline,
        buyer,
        "choosy",
        disqualificationRules=[
            {
                "name": "No California",
                "conditions": [{"field": "address.state", "operator": "equals", "value": "CO"}],
            }
        ],
    )
    open_ = await buyer_campaign(pipeline, buyer, "open")
    sold = await auction(
        pipeline,
        {"campaignId": capped.code, "ping": ping(buyer.on("/capped/ping", Answer(200, bid(30))))},
        {"campaignId": closed.code, "ping": ping(buyer.on("/closed/ping", Answer(200, bid(30))))},
        {"campaignId": choosy.code, "ping": ping(buyer.on("/choosy/ping", Answer(200, bid(30))))},
        {"campaignId": open_.code, "ping": ping(buyer.on("/open/ping", Answer(200, bid(2))))},
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == open_.uuid
    skipped = {s["campaignId"]: s["outcome"] for s in of(submission.steps, "auction_buyer")}
    assert skipped == {capped.uuid: "capped", closed.uuid: "closed", choosy.uuid: "skipped"}
    for name in ("capped", "closed", "choosy"):
        assert buyer.received(f"/{name}/ping") == []
    assert [s["campaignId"] for s in of(submission.steps, "ping")] == [open_.uuid]


async def test_the_winner_takes_a_cap_slot_and_the_losers_give_theirs_back(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    winner = await buyer_campaign(pipeline, buyer, "winner", caps={"daily": 1})
    loser = await buyer_campaign(pipeline, buyer, "loser", caps={"daily": 1})
    sold = await auction(
        pipeline,
        {"campaignId": winner.code, "ping": ping(buyer.on("/winner/ping", Answer(200, bid(9))))},
        {"campaignId": loser.code, "ping": ping(buyer.on("/loser/ping", Answer(200, bid(4))))},
    )
    first = await pipeline.submit(sold)
    await pipeline.work()
    second = await pipeline.submit(sold, phone="+12125550199", email="b@example.com")
    await pipeline.work()

    assert (await pipeline.submission(first)).delivery["campaignId"] == winner.uuid
    later = await pipeline.submission(second)
    assert later.delivery["campaignId"] == loser.uuid  # the winner's one lead a day is taken
    assert [s["outcome"] for s in of(later.steps, "auction_buyer")] == ["capped"]


async def test_equal_bids_go_to_the_lower_priority_number(pipeline: Pipeline, buyer: Buyer) -> None:
    second = await buyer_campaign(pipeline, buyer, "second")
    first = await buyer_campaign(pipeline, buyer, "first")
    sold = await auction(
        pipeline,
        {
            "campaignId": second.code,
            "priority": 5,
            "ping": ping(buyer.on("/second/ping", Answer(200, bid(10)))),
        },
        {
            "campaignId": first.code,
            "priority": 1,
            "ping": ping(buyer.on("/first/ping", Answer(200, bid(10)))),
        },
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    assert (await pipeline.submission(row)).delivery["campaignId"] == first.uuid


async def test_a_fixed_price_buyer_competes_without_a_ping(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    direct = await buyer_campaign(pipeline, buyer, "direct")
    pinged = await buyer_campaign(pipeline, buyer, "pinged")
    sold = await auction(
        pipeline,
        {"campaignId": direct.code, "fixedPrice": 9},
        {"campaignId": pinged.code, "ping": ping(buyer.on("/pinged/ping", Answer(200, bid(7))))},
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.delivery["campaignId"] == direct.uuid
    assert submission.delivery["revenue"] == 9
    outcomes = [(s["campaignId"], s["outcome"]) for s in of(submission.steps, "ping")]
    assert outcomes == [(direct.uuid, "fixed_price"), (pinged.uuid, "bid")]
    assert "ping_id" not in orjson.loads(buyer.received("/direct/post")[0].body)


async def test_every_buyers_bid_and_the_winner_are_kept_for_reports(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    picky = await buyer_campaign(pipeline, buyer, "picky", post=REJECTED)
    keen = await buyer_campaign(pipeline, buyer, "keen")
    mute = await buyer_campaign(pipeline, buyer, "mute")
    sold = await auction(
        pipeline,
        {"campaignId": picky.code, "ping": ping(buyer.on("/picky/ping", Answer(200, bid(20))))},
        {"campaignId": keen.code, "ping": ping(buyer.on("/keen/ping", Answer(200, bid(7))))},
        {
            "campaignId": mute.code,
            "ping": ping(buyer.on("/mute/ping", Answer(200, bid(1), delay=0.3)), timeoutMs=100),
        },
    )
    row = await pipeline.submit(sold)

    await pipeline.work()

    async with state_of(pipeline.app).sessionmaker() as session:
        rows = (
            await session.scalars(
                select(AuctionBid)
                .where(AuctionBid.submission_id == row["id"])
                .order_by(AuctionBid.id)
            )
        ).all()
    assert [(r.buyer_campaign_id, r.outcome, r.bid, r.post_outcome, r.won) for r in rows] == [
        (picky.id, "bid", 20.0, "rejected", False),
        (keen.id, "bid", 7.0, "accepted", True),
        (mute.id, "timeout", None, None, False),
    ]
    assert {r.auction_campaign_id for r in rows} == {sold.id}
