"""Every URL a user can store is refused at save when the outbound URL policy refuses it: a
422 naming the field, for each of the forbidden URLs, on both engines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.factories import Factory, Tenant
from tests.security.forbidden import FORBIDDEN_URLS

Body = Callable[[str], dict[str, Any]]


def api_key(tenant: Tenant) -> dict[str, str]:
    return {"X-API-Key": f"{tenant.public_key}.{tenant.private_key}"}


def campaign(**fields: Any) -> dict[str, Any]:
    return {"name": "Buyer", "code": "buyer", **fields}


CAMPAIGN_FIELDS: dict[str, Body] = {
    "endpoint.url": lambda url: campaign(endpoint={"url": url}),
    "endpoint.auth.tokenUrl": lambda url: campaign(
        endpoint={
            "url": "https://buyer.example/leads",
            "auth": {
                "kind": "oauth2_client_credentials",
                "tokenUrl": url,
                "clientId": "id",
                "clientSecret": "secret",
            },
        }
    ),
    "aiQualifier.baseUrl": lambda url: campaign(aiQualifier={"baseUrl": url, "model": "m"}),
    "pixels.0.url": lambda url: campaign(pixels=[{"url": url}]),
}


async def _refusals(
    client: httpx.AsyncClient, send: Callable[[str], Any], field_of: Callable[[Any], list[str]]
) -> list[str]:
    """The forbidden URLs that were not refused with a 422 naming the field."""
    accepted = []
    for url in FORBIDDEN_URLS:
        response = await send(url)
        if response.status_code != 422 or not field_of(response.json()):
            accepted.append(f"{url} -> {response.status_code} {response.text[:200]}")
    return accepted


@pytest.mark.parametrize("field", sorted(CAMPAIGN_FIELDS))
async def test_campaign_url_fields_refuse_forbidden_urls(
    client: httpx.AsyncClient, factory: Factory, field: str
) -> None:
    tenant = await factory.tenant()

    async def send(url: str) -> httpx.Response:
        body = CAMPAIGN_FIELDS[field](url)
        return await client.post("/api/v1/campaigns", json=body, headers=api_key(tenant))

    def named(answer: Any) -> list[str]:
        # Pydantic names a union's member in the path (endpoint.auth.<kind>.tokenUrl).
        first, *_, last = field.split(".")
        fields = [detail["field"] for detail in answer["error"]["details"]]
        return [name for name in fields if name.startswith(first) and name.endswith(last)]

    assert await _refusals(client, send, named) == []


async def test_subscription_target_url_refuses_forbidden_urls(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()

    async def send(url: str) -> httpx.Response:
        body = {"target_url": url, "event": "new_lead"}
        return await client.post("/api/v1/subscriptions", json=body, headers=tenant.auth)

    assert await _refusals(client, send, lambda answer: answer["errors"]["target_url"]) == []


@pytest.mark.parametrize("key", ["actions", "end_actions"])
async def test_schedule_webhook_action_url_refuses_forbidden_urls_on_create(
    client: httpx.AsyncClient, factory: Factory, key: str
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)

    async def send(url: str) -> httpx.Response:
        action = {"type": "webhook", "url": url}
        body = {"name": "Chase", "offer_id": offer.id, key: [action]}
        return await client.post("/api/v1/schedules", json=body, headers=tenant.auth)

    def named(answer: Any) -> list[str]:
        return list(answer["errors"].get(f"{key}.0.webhook.url", []))

    assert await _refusals(client, send, named) == []


async def test_schedule_webhook_action_url_refuses_forbidden_urls_on_update(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    wait = {"type": "wait", "seconds": 60}

    async def send(url: str) -> httpx.Response:
        action = {"type": "webhook", "url": url + "[lead_id]", "body": "{{ caller_id }}"}
        body = {"actions": [wait, action]}
        return await client.put(f"/api/v1/schedules/{schedule.id}", json=body, headers=tenant.auth)

    def named(answer: Any) -> list[str]:
        return list(answer["errors"].get("actions.1.webhook.url", []))

    assert await _refusals(client, send, named) == []


async def test_a_public_templated_webhook_url_is_saved(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    action = {"type": "webhook", "url": "https://crm.example/leads/[lead_id]?c={{ caller_id }}"}
    body = {"name": "Chase", "offer_id": offer.id, "actions": [action]}
    response = await client.post("/api/v1/schedules", json=body, headers=tenant.auth)
    assert response.status_code == 200, response.text
