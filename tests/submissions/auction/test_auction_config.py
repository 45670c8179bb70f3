"""A ``ping_post`` campaign is checked when it is saved: one 422 names every problem (the
ping's personal fields, a ping URL Leadflow may not call, a buyer that is not a campaign of
the company, a buyer with both or neither of a ping and a fixed price)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from leadflow.models.campaign import Campaign
from tests.campaigns.test_campaigns_api import PATH, api_key, campaign
from tests.factories import Factory


def fields_named(answer: httpx.Response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in answer.json()["error"]["details"]}


async def test_a_ping_post_campaign_is_saved_and_shown(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    buyer = await client.post(
        PATH,
        json=campaign(code="buyer", endpoint={"url": "https://buyer.example.com/post"}),
        headers=api_key(tenant),
    )
    assert buyer.status_code == 201, buyer.text
    ping_post: dict[str, Any] = {
        "deadlineMs": 800,
        "floor": 2.5,
        "buyers": [{"campaignId": "buyer", "ping": {"url": "https://buyer.example.com/ping"}}],
    }
    answer = await client.post(
        PATH,
        json=campaign(code="auction", distribution="ping_post", pingPost=ping_post),
        headers=api_key(tenant),
    )
    assert answer.status_code == 201, answer.text
    saved = answer.json()["data"]
    assert saved["distribution"] == "ping_post"
    (entry,) = saved["pingPost"]["buyers"]
    assert entry["ping"]["timeoutMs"] == 750
    assert [f["sourceKey"] for f in entry["ping"]["fields"]] == ["address.state", "address.zip"]


async def test_every_problem_of_an_auction_is_named(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ping_post = {
        "buyers": [
            {"campaignId": "nobody", "ping": {"url": "http://169.254.169.254/ping"}},
        ]
    }
    answer = await client.post(
        PATH,
        json=campaign(distribution="ping_post", pingPost=ping_post),
        headers=api_key(tenant),
    )
    assert answer.status_code == 422, answer.text
    named = fields_named(answer)
    assert set(named) == {"pingPost.buyers.0.ping.url", "pingPost.buyers.0.campaignId"}
    assert "no campaign 'nobody'" in named["pingPost.buyers.0.campaignId"]


async def test_personal_data_in_a_ping_and_a_buyer_without_a_price_are_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    leaky = {
        "url": "https://b.example.com/ping",
        "fields": [{"clientKey": "p", "sourceKey": "phone"}],
    }
    ping_post = {"buyers": [{"campaignId": "a", "ping": leaky}, {"campaignId": "b"}]}
    answer = await client.post(
        PATH,
        json=campaign(distribution="ping_post", pingPost=ping_post),
        headers=api_key(tenant),
    )
    assert answer.status_code == 422, answer.text
    named = fields_named(answer)
    assert "phone" in named["pingPost.buyers.0.ping"]
    assert "allowPersonalData" in named["pingPost.buyers.0.ping"]
    assert "exactly one of ping and fixedPrice" in named["pingPost.buyers.1"]
    missing = await client.post(
        PATH, json=campaign(distribution="ping_post"), headers=api_key(tenant)
    )
    assert missing.status_code == 422
    assert "pingPost is required" in str(missing.json()["error"]["details"])


async def test_a_pings_credentials_are_masked_and_kept_only_for_the_same_host(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    buyer = await client.post(
        PATH,
        json=campaign(code="buyer", endpoint={"url": "https://buyer.example.com/post"}),
        headers=api_key(tenant),
    )
    assert buyer.status_code == 201, buyer.text
    ping = {"url": "https://buyer.example.com/ping", "headers": {"Authorization": "Bearer p1ng"}}
    ping_post = {"buyers": [{"campaignId": "buyer", "ping": ping}]}
    created = await client.post(
        PATH,
        json=campaign(code="auction", distribution="ping_post", pingPost=ping_post),
        headers=api_key(tenant),
    )
    assert created.status_code == 201, created.text
    shown = created.json()["data"]["pingPost"]
    assert shown["buyers"][0]["ping"]["headers"] == {"Authorization": "********"}

    same_host = await client.put(
        f"{PATH}/auction", json={"pingPost": shown}, headers=api_key(tenant)
    )
    assert same_host.status_code == 200, same_host.text
    async with factory.sessionmaker() as session:
        stored = (await session.scalars(select(Campaign).where(Campaign.code == "auction"))).one()
    assert stored.config["pingPost"]["buyers"][0]["ping"]["headers"] == {
        "Authorization": "Bearer p1ng"
    }

    shown["buyers"][0]["ping"]["url"] = "https://collector.example.net/ping"
    moved = await client.put(f"{PATH}/auction", json={"pingPost": shown}, headers=api_key(tenant))
    assert moved.status_code == 422
    assert list(fields_named(moved)) == ["pingPost.buyers.0.ping.headers.Authorization"]
