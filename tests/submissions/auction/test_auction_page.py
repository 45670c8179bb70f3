"""The submitted lead's page shows the auction: each ping (the fields sent, the buyer's answer,
the bid, the ping id and how long it took), each post with its bid, and the auction's winner,
revenue and decision time. Real buyers on loopback, both engines."""

from __future__ import annotations

import html

import httpx

from tests.submissions.auction.conftest import bid, ping
from tests.submissions.auction.test_auction import REJECTED, auction, buyer_campaign
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import Pipeline
from tests.web.conftest import Person
from tests.web.conftest import browser as browser
from tests.web.conftest import signed_in as signed_in
from tests.web.test_submission_pages import person as person
from tests.web.test_submission_pages import settings as settings
from tests.web.test_submission_pages import submit


async def test_the_lead_page_shows_every_ping_bid_and_post_with_timing(
    browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    picky = await buyer_campaign(pipeline, buyer, "picky", post=REJECTED)
    keen = await buyer_campaign(pipeline, buyer, "keen")
    silent = await buyer_campaign(pipeline, buyer, "silent")
    sold = await auction(
        pipeline,
        {
            "campaignId": picky.code,
            "priority": 2,
            "ping": ping(buyer.on("/picky/ping", Answer(200, bid(20, "PK-1")))),
        },
        {"campaignId": keen.code, "ping": ping(buyer.on("/keen/ping", Answer(200, bid(7, "K-7"))))},
        {
            "campaignId": silent.code,
            "ping": ping(buyer.on("/silent/ping", Answer(200, bid(50), delay=0.6))),
        },
        deadlineMs=300,
        floor=5,
    )
    lead_id = await submit(browser, pipeline, sold.code)
    await pipeline.work()

    shown = await browser.get(f"/leads/{lead_id}")

    assert shown.status_code == 200
    page = html.unescape(shown.text)
    # each ping: the request (URL and the fields sent), the answer, the bid, ping id, timing
    assert page.count("<strong>ping</strong>") == 3
    assert buyer.on("/picky/ping", Answer(200, bid(20, "PK-1"))) in page
    assert page.count('"state": "CO"') == 3  # the ping body shown for each buyer
    assert '"zip": "80202"' in page
    assert "Bid 20.00 · ping id <code>PK-1</code> · priority 2 · took " in page
    assert "Bid 7.00 · ping id <code>K-7</code>" in page
    assert '{\n  "bid": 20,\n  "pingId": "PK-1"\n}' in page  # the buyer's answer
    assert f"<strong>ping</strong>: late · {silent.name}" in page
    assert "No bid · priority 0 · took 300 ms" in page
    # each post: the bid it was sold at, the buyer's answer
    assert f"<strong>delivery</strong>: rejected · {picky.name}" in page
    assert f"<strong>delivery</strong>: accepted · {keen.name}" in page
    assert page.count("Try 1: HTTP 200") == 2
    # the auction: winner, revenue, decision time against the deadline, floor
    assert (
        f"Sold to {keen.name} ({keen.code}) · winning bid 7.00 · revenue 7.00 · 2 bids counted"
        in page
    )
    assert "(deadline 300 ms) · floor 5.00" in page
    assert "decided in " in page


async def test_the_reports_page_shows_each_buyers_bids_wins_and_revenue(
    browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    picky = await buyer_campaign(pipeline, buyer, "picky", post=REJECTED)
    keen = await buyer_campaign(pipeline, buyer, "keen")
    sold = await auction(
        pipeline,
        {"campaignId": picky.code, "ping": ping(buyer.on("/picky/ping", Answer(200, bid(20))))},
        {"campaignId": keen.code, "ping": ping(buyer.on("/keen/ping", Answer(200, bid(7.25))))},
    )
    await submit(browser, pipeline, sold.code)
    await pipeline.work()

    shown = await browser.get("/reports")

    assert shown.status_code == 200
    page = html.unescape(shown.text)
    assert '<h2 id="buyers-heading">Ping/post buyers</h2>' in page
    keen_row = page[page.index(f'href="/campaigns/{keen.code}/edit"') :].split("</tr>")[0]
    assert '<td data-label="Won">1</td>' in keen_row
    assert '<td data-label="Win rate">100.0%</td>' in keen_row
    assert '<td data-label="Revenue">$7.25</td>' in keen_row
    picky_row = page[page.index(f'href="/campaigns/{picky.code}/edit"') :].split("</tr>")[0]
    assert '<td data-label="Bids">1</td><td data-label="Won">0</td>' in picky_row
