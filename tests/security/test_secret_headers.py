"""A secret shown masked never follows its URL to another host: whoever may edit a campaign or
a subscription must not collect the buyer's credentials by pointing the URL at themselves."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Campaign
from tests.factories import Factory, Tenant

CAMPAIGNS = "/api/v1/campaigns"
MASK = "********"


def api_key(tenant: Tenant) -> dict[str, str]:
    return {"X-API-Key": f"{tenant.public_key}.{tenant.private_key}"}


def endpoint(url: str, secret: str) -> dict[str, Any]:
    return {
        "url": url,
        "headers": {"X-Api-Key": secret, "X-Source": "leadflow"},
        "auth": {"kind": "static", "headers": {"Authorization": secret}},
    }


async def _campaign(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"name": "Buyer", "code": "buyer", **fields}
    created = await client.post(CAMPAIGNS, json=body, headers=api_key(tenant))
    assert created.status_code == 201, created.text
    data: dict[str, Any] = created.json()["data"]
    return data


async def test_moving_the_endpoint_to_another_host_requires_the_secrets_again(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    shown = await _campaign(
        client, tenant, endpoint=endpoint("https://buyer.example/leads", "Bearer buyer-secret")
    )
    assert shown["endpoint"]["auth"]["headers"]["Authorization"] == MASK
    moved = {**shown["endpoint"], "url": "https://collector.example/leads"}
    answer = await client.put(
        f"{CAMPAIGNS}/{shown['id']}", json={"endpoint": moved}, headers=api_key(tenant)
    )
    assert answer.status_code == 422, answer.text
    fields = {detail["field"] for detail in answer.json()["error"]["details"]}
    assert fields == {"endpoint.headers.X-Api-Key", "endpoint.auth.headers.Authorization"}
    assert "re-enter" in answer.text
    kept = await client.get(f"{CAMPAIGNS}/{shown['id']}", headers=api_key(tenant))
    assert kept.json()["data"]["endpoint"]["url"] == "https://buyer.example/leads"


async def test_secrets_entered_again_go_to_the_new_host(
    client: httpx.AsyncClient, factory: Factory, app: Any
) -> None:
    tenant = await factory.tenant()
    shown = await _campaign(
        client, tenant, endpoint=endpoint("https://buyer.example/leads", "Bearer buyer-secret")
    )
    answer = await client.put(
        f"{CAMPAIGNS}/{shown['id']}",
        json={"endpoint": endpoint("https://new-buyer.example/leads", "Bearer new-secret")},
        headers=api_key(tenant),
    )
    assert answer.status_code == 200, answer.text
    config = await _config(app, shown["id"])
    assert config["endpoint"]["auth"]["headers"]["Authorization"] == "Bearer new-secret"
    assert config["endpoint"]["headers"]["X-Api-Key"] == "Bearer new-secret"


async def test_masked_secrets_stay_while_the_host_stays(
    client: httpx.AsyncClient, factory: Factory, app: Any
) -> None:
    tenant = await factory.tenant()
    shown = await _campaign(
        client, tenant, endpoint=endpoint("https://buyer.example/leads", "Bearer buyer-secret")
    )
    same_host = {**shown["endpoint"], "url": "https://BUYER.example:443/v2/leads"}
    answer = await client.put(
        f"{CAMPAIGNS}/{shown['id']}", json={"endpoint": same_host}, headers=api_key(tenant)
    )
    assert answer.status_code == 200, answer.text
    config = await _config(app, shown["id"])
    assert config["endpoint"]["auth"]["headers"]["Authorization"] == "Bearer buyer-secret"


async def test_oauth_client_secret_and_ai_key_do_not_follow_their_urls(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    oauth = {
        "kind": "oauth2_client_credentials",
        "tokenUrl": "https://auth.buyer.example/token",
        "clientId": "leadflow",
        "clientSecret": "client-secret",
    }
    shown = await _campaign(
        client,
        tenant,
        endpoint={"url": "https://buyer.example/leads", "auth": oauth},
        aiQualifier={"baseUrl": "https://ai.example/v1", "model": "m", "apiKey": "sk-1"},
    )
    token_moved = {
        **shown["endpoint"],
        "auth": {**shown["endpoint"]["auth"], "tokenUrl": "https://collector.example/token"},
    }
    endpoint_moved = {**shown["endpoint"], "url": "https://collector.example/leads"}
    ai_moved = {**shown["aiQualifier"], "baseUrl": "https://collector.example/v1"}
    for body, field in (
        ({"endpoint": token_moved}, "endpoint.auth.clientSecret"),
        ({"endpoint": endpoint_moved}, "endpoint.auth.clientSecret"),
        ({"aiQualifier": ai_moved}, "aiQualifier.apiKey"),
    ):
        answer = await client.put(f"{CAMPAIGNS}/{shown['id']}", json=body, headers=api_key(tenant))
        assert answer.status_code == 422, answer.text
        assert [d["field"] for d in answer.json()["error"]["details"]] == [field]


async def test_pixels_hold_no_hidden_secret_to_carry(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """A pixel is a URL and a method, shown in full: nothing masked can follow it elsewhere."""
    tenant = await factory.tenant()
    url = "https://pixel.example/fire?key=visible"
    shown = await _campaign(
        client,
        tenant,
        endpoint=endpoint("https://buyer.example/leads", "Bearer buyer-secret"),
        pixels=[{"url": url}],
    )
    assert shown["pixels"][0]["url"] == url
    moved = [{**shown["pixels"][0], "url": "https://collector.example/fire"}]
    answer = await client.put(
        f"{CAMPAIGNS}/{shown['id']}", json={"pixels": moved}, headers=api_key(tenant)
    )
    assert answer.status_code == 200, answer.text
    assert MASK not in str(answer.json()["data"]["pixels"])


async def test_a_subscription_moved_to_another_host_gets_a_new_signing_secret(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = await client.post(
        "/api/v1/subscriptions",
        json={"target_url": "https://hooks.example/a", "event": "new_lead"},
        headers=tenant.auth,
    )
    first = created.json()["subscription"]
    path = f"/api/v1/subscriptions/{first['id']}"
    same_host = await client.put(
        path, json={"target_url": "https://hooks.example/b"}, headers=tenant.auth
    )
    assert same_host.status_code == 200, same_host.text
    assert "secret" not in same_host.json()["subscription"]
    moved = await client.put(
        path, json={"target_url": "https://collector.example/a"}, headers=tenant.auth
    )
    assert moved.status_code == 200, moved.text
    secret = moved.json()["subscription"]["secret"]
    assert secret.startswith("whsec_")
    assert secret != first["secret"]


async def _config(app: Any, uuid: str) -> dict[str, Any]:
    """The campaign's document as stored, secrets unmasked."""
    async with state_of(app).sessionmaker() as session:
        row = (await session.execute(select(Campaign).where(Campaign.uuid == uuid))).scalar_one()
        config: dict[str, Any] = row.config
        return config
