"""`/api/v1/subscriptions`: which events a company's webhooks receive, and where they go."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.webhooks.events import EVENTS
from tests.factories import Factory, Tenant

HOOK = "https://hooks.example.com/leadflow"


async def subscribe(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> httpx.Response:
    body.setdefault("target_url", HOOK)
    body.setdefault("event", "new_lead")
    return await client.post("/api/v1/subscriptions", json=body, headers=tenant.auth)


async def test_the_published_contract_lists_the_one_event_list(client: httpx.AsyncClient) -> None:
    contract = (await client.get("/openapi.json")).json()
    event = contract["components"]["schemas"]["SubscriptionCreate"]["properties"]["event"]
    assert tuple(event["enum"]) == EVENTS


async def test_created_subscription_shows_its_signing_secret_once(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = await subscribe(client, tenant, event="lead_converted")
    assert created.status_code == 200, created.text
    subscription = created.json()["subscription"]
    assert subscription["target_url"] == HOOK
    assert subscription["event"] == "lead_converted"
    assert subscription["trigger_fields"] == {}
    assert subscription["active"] is True
    assert subscription["secret"].startswith("whsec_")
    assert len(subscription["secret"]) > 40

    shown = await client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=tenant.auth)
    listed = await client.get("/api/v1/subscriptions", headers=tenant.auth)
    assert "secret" not in shown.json()["subscription"]
    assert [s["id"] for s in listed.json()["subscriptions"]] == [subscription["id"]]
    assert "secret" not in listed.json()["subscriptions"][0]


async def test_every_subscription_gets_its_own_secret(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    first = (await subscribe(client, tenant)).json()["subscription"]["secret"]
    second = (await subscribe(client, tenant)).json()["subscription"]["secret"]
    assert first != second


async def test_unknown_event_is_422_listing_the_allowed_ones(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await subscribe(client, tenant, event="lead_exploded")
    assert response.status_code == 422
    [message] = response.json()["errors"]["event"]
    assert all(f"'{event}'" in message for event in EVENTS)


async def test_metadata_url_is_422_naming_target_url(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await subscribe(client, tenant, target_url="http://169.254.169.254/latest/")
    assert response.status_code == 422
    assert response.json()["errors"] == {"target_url": ["points at a cloud metadata address"]}


async def test_private_url_is_refused_unless_the_operator_allows_private_networks(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    tenant = await factory.tenant()
    refused = await subscribe(client, tenant, target_url="http://192.168.1.20/hook")
    assert refused.status_code == 422
    assert refused.json()["errors"]["target_url"] == [
        "points at a private network (allowed only when LEADFLOW_ALLOW_PRIVATE_URLS is set)"
    ]
    state_of(app).settings = state_of(app).settings.model_copy(update={"allow_private_urls": True})
    allowed = await subscribe(client, tenant, target_url="http://192.168.1.20/hook")
    assert allowed.status_code == 200, allowed.text


async def test_trigger_fields_filter_on_the_companys_own_rows(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    source = await factory.traffic_source(tenant)
    triggers = {
        "schedule_id": schedule.id,
        "traffic_source_id": source.id,
        "offer_id": schedule.offer_id,
        "status": "completed",
        "sub_id": 42,
    }
    response = await subscribe(client, tenant, trigger_fields=triggers)
    assert response.status_code == 200, response.text
    assert response.json()["subscription"]["trigger_fields"] == {**triggers, "sub_id": "42"}


async def test_trigger_fields_naming_another_companys_rows_are_422(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    schedule = await factory.schedule(other)
    source = await factory.traffic_source(other)
    response = await subscribe(
        client,
        tenant,
        trigger_fields={
            "schedule_id": schedule.id,
            "traffic_source_id": source.id,
            "offer_id": schedule.offer_id,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "trigger_fields.schedule_id": ["must be one of your schedules"],
        "trigger_fields.traffic_source_id": ["must be one of your traffic sources"],
        "trigger_fields.offer_id": ["must be one of your offers"],
    }


async def test_unknown_trigger_fields_and_non_scalar_values_are_422(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await subscribe(
        client, tenant, trigger_fields={"caller_id": "+18004506787", "status": ["a", "b"]}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"trigger_fields.caller_id", "trigger_fields.status"}


async def test_update_changes_only_what_is_sent_and_checks_the_url(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = (await subscribe(client, tenant, trigger_fields={"status": "completed"})).json()
    url = f"/api/v1/subscriptions/{created['subscription']['uuid']}"

    paused = await client.put(url, json={"active": False}, headers=tenant.auth)
    assert paused.status_code == 200, paused.text
    assert paused.json()["subscription"]["active"] is False
    assert paused.json()["subscription"]["trigger_fields"] == {"status": "completed"}
    assert "secret" not in paused.json()["subscription"]

    refused = await client.put(url, json={"target_url": "http://[::1]/"}, headers=tenant.auth)
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"target_url": ["points at a loopback address"]}

    blank = await client.put(url, json={"event": None}, headers=tenant.auth)
    assert blank.status_code == 422
    assert blank.json()["errors"] == {"event": ["can't be blank"]}

    cleared = await client.put(url, json={"trigger_fields": {}}, headers=tenant.auth)
    assert cleared.json()["subscription"]["trigger_fields"] == {}
    assert cleared.json()["subscription"]["target_url"] == HOOK


async def test_deleted_subscription_is_gone(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    created = (await subscribe(client, tenant)).json()["subscription"]
    url = f"/api/v1/subscriptions/{created['id']}"
    assert (await client.delete(url, headers=tenant.auth)).status_code == 200
    assert (await client.get(url, headers=tenant.auth)).status_code == 404


async def test_another_companys_subscription_is_404_and_never_listed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    created = (await subscribe(client, tenant)).json()["subscription"]
    url = f"/api/v1/subscriptions/{created['id']}"
    for response in (
        await client.get(url, headers=other.auth),
        await client.put(url, json={"active": False}, headers=other.auth),
        await client.delete(url, headers=other.auth),
    ):
        assert response.status_code == 404
    listed = await client.get("/api/v1/subscriptions", headers=other.auth)
    assert listed.json()["subscriptions"] == []


async def test_subscriptions_list_with_the_listing_convention(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await subscribe(client, tenant, event="new_lead", target_url="https://a.example.com/")
    await subscribe(client, tenant, event="lead_ended", target_url="https://b.example.com/")
    ordered = await client.get(
        "/api/v1/subscriptions",
        params={"order": "event", "order_dir": "asc", "columns": "event"},
        headers=tenant.auth,
    )
    assert ordered.status_code == 200, ordered.text
    assert [s["event"] for s in ordered.json()["subscriptions"]] == ["lead_ended", "new_lead"]
    searched = await client.get(
        "/api/v1/subscriptions", params={"fulltext": "b.example"}, headers=tenant.auth
    )
    assert [s["target_url"] for s in searched.json()["subscriptions"]] == ["https://b.example.com/"]
    refused = await client.get(
        "/api/v1/subscriptions", params={"order": "secret"}, headers=tenant.auth
    )
    assert refused.status_code == 422
    assert "order" in refused.json()["errors"]


async def test_submission_events_can_be_subscribed_to_for_one_campaign(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = await subscribe(
        client, tenant, event="lead.delivered", trigger_fields={"campaign_id": "c-uuid"}
    )
    assert created.status_code == 200, created.text
    subscription = created.json()["subscription"]
    assert (subscription["event"], subscription["trigger_fields"]) == (
        "lead.delivered",
        {"campaign_id": "c-uuid"},
    )
