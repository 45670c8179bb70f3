"""``GET /api/v1/reports/auctions``: what each ping/post buyer bid, won and brought in, read
back after real auctions with buyers on loopback (both engines)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.submissions.auction.conftest import bid, ping
from tests.submissions.auction.test_auction import REJECTED, auction, buyer_campaign
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import Pipeline


def basic(pipeline: Pipeline) -> tuple[str, str]:
    return (pipeline.tenant.public_key, pipeline.tenant.private_key)


async def test_each_buyer_shows_its_bids_wins_win_rate_and_revenue(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    picky = await buyer_campaign(pipeline, buyer, "picky", post=REJECTED)
    keen = await buyer_campaign(pipeline, buyer, "keen")
    shy = await buyer_campaign(pipeline, buyer, "shy")
    sold = await auction(
        pipeline,
        {"campaignId": picky.code, "ping": ping(buyer.on("/picky/ping", Answer(200, bid(20))))},
        {"campaignId": keen.code, "ping": ping(buyer.on("/keen/ping", Answer(200, bid(7.5))))},
        {"campaignId": shy.code, "ping": ping(buyer.on("/shy/ping", Answer(200, bid(2))))},
        floor=5,
    )
    # Two auctions: both times picky bids highest and rejects the post, keen takes the lead.
    for n in (1, 2):
        await pipeline.submit(sold, email=f"lead{n}@example.com", phone=f"+1212555012{n}")
    await pipeline.work()

    answer = await client.get("/api/v1/reports/auctions", auth=basic(pipeline))

    assert answer.status_code == 200, answer.text
    report = answer.json()["report"]
    by_buyer = {row["buyer"]["id"]: row for row in report["rows"]}
    assert [row["buyer"]["id"] for row in report["rows"]] == [keen.id, picky.id, shy.id]
    assert by_buyer[keen.id] == {
        "buyer": {"id": keen.id, "name": keen.name, "code": keen.code},
        "auctions": 2,
        "pings": 2,
        "bids": 2,
        "no_bids": 0,
        "below_floor": 0,
        "late": 0,
        "errors": 0,
        "posts": 2,
        "won": 2,
        "win_rate": 1.0,
        "revenue": 15.0,
        "average_bid": 7.5,
    }
    picky_row = by_buyer[picky.id]
    assert (picky_row["bids"], picky_row["posts"], picky_row["won"]) == (2, 2, 0)
    assert (picky_row["win_rate"], picky_row["revenue"], picky_row["average_bid"]) == (0, 0, 20)
    shy_row = by_buyer[shy.id]
    assert (shy_row["bids"], shy_row["below_floor"], shy_row["posts"]) == (0, 2, 0)
    totals = report["totals"]
    assert (totals["auctions"], totals["bids"], totals["won"]) == (6, 4, 2)
    assert (totals["win_rate"], totals["revenue"]) == (0.5, 15.0)
    assert answer.json()["metadata"]["total_count"] == 3


async def test_another_company_and_another_day_see_none_of_it(
    pipeline: Pipeline, buyer: Buyer, client: httpx.AsyncClient
) -> None:
    keen = await buyer_campaign(pipeline, buyer, "keen")
    sold = await auction(
        pipeline,
        {"campaignId": keen.code, "ping": ping(buyer.on("/keen/ping", Answer(200, bid(3))))},
    )
    await pipeline.submit(sold)
    await pipeline.work()
    other = await pipeline.factory.tenant()

    theirs = await client.get(
        "/api/v1/reports/auctions", auth=(other.public_key, other.private_key)
    )
    day = (pipeline.clock.now() - timedelta(days=2)).date().isoformat()
    earlier = await client.get(
        "/api/v1/reports/auctions", params={"from": day, "to": day}, auth=basic(pipeline)
    )
    only_this_auction = await client.get(
        "/api/v1/reports/auctions", params={"campaign_id": sold.id}, auth=basic(pipeline)
    )

    assert theirs.status_code == earlier.status_code == 200
    assert theirs.json()["report"]["rows"] == earlier.json()["report"]["rows"] == []
    assert [row["won"] for row in only_this_auction.json()["report"]["rows"]] == [1]


async def test_unknown_and_bad_parameters_are_named(
    pipeline: Pipeline, client: httpx.AsyncClient
) -> None:
    answer = await client.get(
        "/api/v1/reports/auctions",
        params={"group_by": "buyer", "campaign_id": "x", "from": "yesterday", "to": "2026-12-01"},
        auth=basic(pipeline),
    )

    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"group_by", "campaign_id", "from"}
