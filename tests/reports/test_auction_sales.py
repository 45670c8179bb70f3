"""A lead sold at a real ping/post auction (buyers on loopback, both engines): the price the
buyer accepted is revenue in the next ``GET /api/v1/reports``, by the auction's campaign and
the host of the buyer that took it."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.submissions.auction.conftest import bid, ping
from tests.submissions.auction.test_auction import REJECTED, auction, buyer_campaign
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import (  # noqa: F401  (fixtures)
    Pipeline,
    buyer,
    pipeline,
    settings,
)


async def test_the_winning_bid_is_revenue_by_campaign_and_buyer(
    pipeline: Pipeline,  # noqa: F811  (the fixture imported above)
    buyer: Buyer,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    picky = await buyer_campaign(pipeline, buyer, "picky", post=REJECTED)
    keen = await buyer_campaign(pipeline, buyer, "keen")
    sold = await auction(
        pipeline,
        {"campaignId": picky.code, "ping": ping(buyer.on("/picky/ping", Answer(200, bid(20))))},
        {"campaignId": keen.code, "ping": ping(buyer.on("/keen/ping", Answer(200, bid(7.5))))},
    )
    # Twice: picky bids highest and refuses the post, so keen takes the lead at its 7.50.
    for n in (1, 2):
        await pipeline.submit(sold, email=f"lead{n}@example.com", phone=f"+1212555012{n}")
    await pipeline.work()

    answer = await client.get(
        "/api/v1/reports",
        params={"group_by": "campaign,buyer", "metrics": "submissions,revenue,profit"},
        auth=(pipeline.tenant.public_key, pipeline.tenant.private_key),
    )

    assert answer.status_code == 200, answer.text
    keen_host = urlsplit(str(keen.config["endpoint"]["url"])).hostname
    assert answer.json()["report"]["rows"] == [
        {"campaign": {"id": sold.id, "name": sold.name},
         "buyer": {"id": keen_host, "name": keen_host},
         "submissions": 2, "revenue": 15.0, "profit": 15.0},
    ]  # fmt: skip
