"""`/api/v1/traffic_sources`: the publishers leads are attributed to."""

from __future__ import annotations

import httpx

from tests.factories import Factory


async def test_traffic_source_is_created_with_its_own_id(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/traffic_sources",
        json={"name": "Publisher A", "user_traffic_source_id": "pub-a"},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"] == {"root": "traffic_source"}
    assert body["traffic_source"]["name"] == "Publisher A"
    assert body["traffic_source"]["user_traffic_source_id"] == "pub-a"


async def test_leads_can_be_attributed_to_a_created_traffic_source(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    created = await client.post(
        "/api/v1/traffic_sources", json={"name": "Publisher A"}, headers=tenant.auth
    )
    source_id = created.json()["traffic_source"]["id"]
    lead = await client.post(
        "/api/v1/leads",
        params={
            "lead_token": schedule.leads_api_key,
            "caller_id": "+18004506787",
            "traffic_source_id": source_id,
        },
    )
    assert lead.status_code == 200, lead.text
    assert lead.json()["lead"]["traffic_source_id"] == source_id


async def test_traffic_sources_are_listed_shown_updated_and_archived(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    first = await factory.traffic_source(tenant, name="A")
    await factory.traffic_source(tenant, name="B")
    listed = await client.get("/api/v1/traffic_sources", headers=tenant.auth)
    assert listed.json()["metadata"]["root"] == "traffic_sources"
    assert [s["name"] for s in listed.json()["traffic_sources"]] == ["A", "B"]

    updated = await client.put(
        f"/api/v1/traffic_sources/{first.id}",
        json={"user_traffic_source_id": "aff-9"},
        headers=tenant.auth,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["traffic_source"] | {"updated_at": None} == {
        "id": first.id,
        "uuid": first.uuid,
        "name": "A",
        "user_traffic_source_id": "aff-9",
        "archived_at": None,
        "created_at": "2026-01-05T15:00:00Z",
        "updated_at": None,
    }

    deleted = await client.delete(f"/api/v1/traffic_sources/{first.id}", headers=tenant.auth)
    assert deleted.status_code == 200
    listed = await client.get("/api/v1/traffic_sources", headers=tenant.auth)
    assert [s["name"] for s in listed.json()["traffic_sources"]] == ["B"]
    shown = await client.get(f"/api/v1/traffic_sources/{first.id}", headers=tenant.auth)
    assert shown.json()["traffic_source"]["archived_at"] is not None


async def test_user_traffic_source_id_can_be_cleared(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    source = await factory.traffic_source(tenant, user_traffic_source_id="pub-1")
    response = await client.put(
        f"/api/v1/traffic_sources/{source.id}",
        json={"user_traffic_source_id": None},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["traffic_source"]["user_traffic_source_id"] is None


async def test_traffic_source_name_cannot_be_blanked(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    source = await factory.traffic_source(tenant, name="A")
    response = await client.put(
        f"/api/v1/traffic_sources/{source.id}", json={"name": None}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": ["can't be blank"]}


async def test_unknown_traffic_source_field_is_422(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/traffic_sources", json={"name": "A", "payout": 5}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["payout"]


async def test_deleting_a_traffic_source_keeps_its_leads(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    source = await factory.traffic_source(tenant)
    lead = await client.post(
        "/api/v1/leads",
        params={
            "lead_token": schedule.leads_api_key,
            "caller_id": "+18004506787",
            "traffic_source_id": source.id,
        },
    )
    assert lead.status_code == 200, lead.text
    deleted = await client.delete(f"/api/v1/traffic_sources/{source.id}", headers=tenant.auth)
    assert deleted.status_code == 200, deleted.text
