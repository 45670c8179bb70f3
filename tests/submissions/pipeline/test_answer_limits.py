"""What a buyer's answer may make the worker hold: no more than
``LEADFLOW_DELIVERY_MAX_ANSWER_BYTES`` of body (declared, streamed, chunked without end, or
inflated from gzip), and no longer than the connect and read timeouts together, on both
delivery transports. Past either the try fails with an error that says why, the connection
is closed, and the lead stays. Buyers speak raw HTTP/1.1 on loopback."""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest

from leadflow.kit.pinned_http import OutboundPolicy
from leadflow.settings import Settings
from leadflow.submissions.pipeline.client import delivery_client
from tests.submissions.auction.conftest import bid, ping
from tests.submissions.auction.test_auction import auction, buyer_campaign, of
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import Pipeline, json_endpoint
from tests.support.raw_http import (
    GUARD_SECONDS,
    dribble,
    endless_chunks,
    padded,
    raw_server,
    sized,
    until_close,
)

CAP = 65_536
ACCEPTED = b'{"status": "success", "leadId": "B-100"}'


@pytest.fixture(params=["wire", "httpx"])
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_loopback_urls=True,
        delivery_transport=request.param,
        delivery_max_answer_bytes=CAP,
    )


async def work(pipeline: Pipeline) -> None:
    async with asyncio.timeout(GUARD_SECONDS):
        await pipeline.work()


async def test_an_answer_declared_over_the_cap_fails_once_and_its_connection_is_closed(
    pipeline: Pipeline,
) -> None:
    async with raw_server(sized(padded(ACCEPTED, 2 * CAP)), sized(ACCEPTED)) as buyer:
        campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.url(), maxRetries=1))
        row = await pipeline.submit(campaign)
        await work(pipeline)

        submission = await pipeline.submission(row)
        assert submission.status == "failed"
        assert submission.attempts == 1  # the buyer answered: the lead is not sent again
        assert buyer.requests == 1
        message = submission.delivery["responseMessage"]
        assert "LEADFLOW_DELIVERY_MAX_ANSWER_BYTES" in message
        assert f"({CAP} bytes)" in message
        [attempt] = submission.steps[-1]["attempts"]
        assert attempt["statusCode"] is None
        assert attempt["error"].startswith("AnswerTooLargeError: ")
        lead = await pipeline.lead(row)  # the lead stays, with everything it was sent with
        assert (lead.status, lead.first_name, lead.phone) == ("failed", "Ada", "+12125550123")

        second = await pipeline.submit(campaign, phone="+12125550124", email="b@example.com")
        await work(pipeline)

    assert (await pipeline.submission(second)).status == "delivered"
    assert buyer.connections == 2  # the refused answer's connection was never reused


async def test_a_never_ending_chunked_answer_is_cut_at_the_cap(pipeline: Pipeline) -> None:
    async with raw_server(endless_chunks, sized(ACCEPTED)) as buyer:
        campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.url(), maxRetries=1))
        row = await pipeline.submit(campaign)
        await work(pipeline)
        async with asyncio.timeout(2):
            await buyer.hung_up.wait()

        submission = await pipeline.submission(row)
        assert submission.status == "failed"
        assert submission.attempts == 1
        assert "LEADFLOW_DELIVERY_MAX_ANSWER_BYTES" in submission.delivery["responseMessage"]

        second = await pipeline.submit(campaign, phone="+12125550124", email="b@example.com")
        await work(pipeline)

    assert (await pipeline.submission(second)).status == "delivered"
    assert buyer.connections == 2


async def test_an_answer_of_the_cap_is_read_and_one_byte_more_is_not(pipeline: Pipeline) -> None:
    """The cap is the largest body read: at it, mapped as usual; one byte past it (here with
    no length declared, read until the buyer closes), refused."""
    async with raw_server(
        sized(padded(ACCEPTED, CAP)), until_close(padded(ACCEPTED, CAP + 1))
    ) as buyer:
        campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.url()))
        at_cap = await pipeline.submit(campaign)
        await work(pipeline)
        over = await pipeline.submit(campaign, phone="+12125550124", email="b@example.com")
        await work(pipeline)

    delivered = await pipeline.submission(at_cap)
    assert (delivered.status, delivered.delivery["clientLeadId"]) == ("delivered", "B-100")
    refused = await pipeline.submission(over)
    assert refused.status == "failed"
    assert "LEADFLOW_DELIVERY_MAX_ANSWER_BYTES" in refused.delivery["responseMessage"]


async def test_a_gzip_answer_is_held_to_the_cap_once_inflated(pipeline: Pipeline) -> None:
    """A few hundred bytes of gzip can inflate to megabytes: the cap counts what it inflates
    to, and an answer under it is read as plain JSON."""
    small = gzip.compress(ACCEPTED)
    bomb = gzip.compress(padded(ACCEPTED, 64 * CAP))
    assert len(bomb) < CAP  # small on the wire
    encoded = b"Content-Encoding: gzip\r\n"
    async with raw_server(sized(small, encoded), sized(bomb, encoded)) as buyer:
        campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.url()))
        plain = await pipeline.submit(campaign)
        await work(pipeline)
        inflated = await pipeline.submit(campaign, phone="+12125550124", email="b@example.com")
        await work(pipeline)

    first = await pipeline.submission(plain)
    assert (first.status, first.delivery["clientLeadId"]) == ("delivered", "B-100")
    second = await pipeline.submission(inflated)
    assert second.status == "failed"
    assert "LEADFLOW_DELIVERY_MAX_ANSWER_BYTES" in second.delivery["responseMessage"]


async def test_a_buyer_dribbling_its_answer_times_out_within_the_connect_and_read_timeouts(
    pipeline: Pipeline,
) -> None:
    """Each byte comes well within the 0.5 s read timeout, but a try ends 1 s (connect and
    read together) after it began, whatever the buyer does."""
    async with raw_server(dribble) as buyer:
        endpoint = json_endpoint(buyer.url(), timeoutSeconds=0.5, maxRetries=0)
        campaign = await pipeline.campaign(endpoint=endpoint)
        row = await pipeline.submit(campaign)
        started = time.monotonic()
        await work(pipeline)
        took = time.monotonic() - started

    submission = await pipeline.submission(row)
    assert submission.status == "failed"
    [attempt] = submission.steps[-1]["attempts"]
    assert attempt["error"].startswith("ReadTimeout: the answer did not end within 1 s")
    assert 0.9 <= attempt["durationMs"] / 1000 < 2.5  # 1 s, and a crowded host's delays
    assert took < 5


async def test_a_ping_answered_over_the_cap_is_an_error_and_the_auction_goes_on(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    """The largest bid, in an answer over the cap, is never read: that ping is an ``error``,
    and the auction is decided in time on the bids it could read."""
    big_bid = padded(bid(99, "BIG").encode(), 2 * CAP)
    async with raw_server(sized(big_bid)) as huge:
        greedy = await buyer_campaign(pipeline, buyer, "greedy")
        modest = await buyer_campaign(pipeline, buyer, "modest")
        sold = await auction(
            pipeline,
            {"campaignId": greedy.code, "ping": ping(huge.url("/ping"))},
            {
                "campaignId": modest.code,
                "ping": ping(buyer.on("/modest/ping", Answer(200, bid(5)))),
            },
            deadlineMs=500,
        )
        row = await pipeline.submit(sold)
        await work(pipeline)

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["campaignId"] == modest.uuid
    pings = {s["campaignId"]: s for s in of(submission.steps, "ping")}
    assert pings[greedy.uuid]["outcome"] == "error"
    assert "LEADFLOW_DELIVERY_MAX_ANSWER_BYTES" in pings[greedy.uuid]["reason"]
    (result,) = of(submission.steps, "auction")
    assert result["decisionMs"] < 500
    assert buyer.received("/greedy/post") == []


async def test_an_oauth_token_answer_over_the_cap_fails_the_delivery_unsent(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    token = padded(b'{"access_token": "T0K", "expires_in": 3600}', 2 * CAP)
    async with raw_server(sized(token)) as token_url:
        auth = {
            "kind": "oauth2_client_credentials",
            "tokenUrl": token_url.url("/token"),
            "clientId": "me",
            "clientSecret": "secret",
        }
        endpoint = json_endpoint(buyer.on("/buy", Answer(200, ACCEPTED.decode())), auth=auth)
        campaign = await pipeline.campaign(endpoint=endpoint)
        row = await pipeline.submit(campaign)
        await work(pipeline)

    submission = await pipeline.submission(row)
    assert submission.status == "failed"
    message = submission.delivery["responseMessage"]
    assert message.startswith("could not get an OAuth token: AnswerTooLargeError")
    assert buyer.received("/buy") == []


async def test_bytes_nobody_asked_for_on_an_idle_connection_close_it() -> None:
    """A buyer that keeps sending after its answer, while the connection idles in the pool,
    is hung up on rather than buffered. (httpx's pool does not read idle connections at all:
    the buyer's bytes wait in the kernel, so only the worker's own transport is concerned.)"""

    async def answer_then_flood(writer: asyncio.StreamWriter) -> bool:
        await sized(ACCEPTED)(writer)
        while True:
            writer.write(b"x" * 16_384)
            await writer.drain()
            await asyncio.sleep(0.001)

    async with (
        raw_server(answer_then_flood) as buyer,
        delivery_client(OutboundPolicy(False, True), 2.0, "wire") as http,
    ):
        response = await http.post(buyer.url(), content=b"{}")
        assert response.json()["leadId"] == "B-100"
        async with asyncio.timeout(2):
            await buyer.hung_up.wait()
