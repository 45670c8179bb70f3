"""A publisher id names one traffic source per company, and deleting a source archives it:
its leads keep their attribution."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Factory, Tenant

CALLER = "+18004506787"


async def _source(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/traffic_sources", json=body, headers=tenant.auth)


async def test_a_second_source_with_the_same_publisher_id_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    first = await _source(client, tenant, name="A", user_traffic_source_id="pub-1")
    assert first.status_code == 200, first.text

    second = await _source(client, tenant, name="B", user_traffic_source_id="pub-1")

    assert second.status_code == 422, second.text
    assert list(second.json()["errors"]) == ["user_traffic_source_id"]


async def test_another_company_may_use_the_same_publisher_id(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    assert (await _source(client, mine, name="A", user_traffic_source_id="pub-1")).is_success
    assert (await _source(client, theirs, name="A", user_traffic_source_id="pub-1")).is_success


async def test_updating_a_source_to_a_taken_publisher_id_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await _source(client, tenant, name="A", user_traffic_source_id="pub-1")
    other = (await _source(client, tenant, name="B", user_traffic_source_id="pub-2")).json()
    path = f"/api/v1/traffic_sources/{other['traffic_source']['id']}"

    taken = await client.put(path, json={"user_traffic_source_id": "pub-1"}, headers=tenant.auth)
    same = await client.put(path, json={"user_traffic_source_id": "pub-2"}, headers=tenant.auth)

    assert taken.status_code == 422, taken.text
    assert list(taken.json()["errors"]) == ["user_traffic_source_id"]
    assert same.status_code == 200, same.text


async def test_deleting_a_source_archives_it_and_its_leads_keep_it(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    source = (await _source(client, tenant, name="A", user_traffic_source_id="pub-1")).json()
    source_id = source["traffic_source"]["id"]
    posted = await client.post(
        "/api/v1/leads",
        params={
            "lead_token": schedule.leads_api_key,
            "caller_id": CALLER,
            "traffic_source_id": "pub-1",
        },
    )
    assert posted.status_code == 200, posted.text
    lead_id = posted.json()["lead"]["id"]

    deleted = await client.delete(f"/api/v1/traffic_sources/{source_id}", headers=tenant.auth)

    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["traffic_source"]["archived_at"] is not None
    lead = (await client.get(f"/api/v1/leads/{lead_id}", headers=tenant.auth)).json()["lead"]
    assert lead["traffic_source_id"] == source_id
    shown = await client.get(f"/api/v1/traffic_sources/{source_id}", headers=tenant.auth)
    assert shown.status_code == 200


async def test_archived_sources_are_listed_only_when_asked_for(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    kept = (await _source(client, tenant, name="Kept")).json()["traffic_source"]["id"]
    gone = (await _source(client, tenant, name="Gone")).json()["traffic_source"]["id"]
    await client.delete(f"/api/v1/traffic_sources/{gone}", headers=tenant.auth)

    active = await client.get("/api/v1/traffic_sources", headers=tenant.auth)
    archived = await client.get(
        "/api/v1/traffic_sources", params={"archived": "true"}, headers=tenant.auth
    )

    assert [row["id"] for row in active.json()["traffic_sources"]] == [kept]
    assert [row["id"] for row in archived.json()["traffic_sources"]] == [gone]


async def test_a_lead_naming_an_archived_source_is_still_attributed_to_it(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    source = (await _source(client, tenant, name="A", user_traffic_source_id="pub-1")).json()
    source_id = source["traffic_source"]["id"]
    await client.delete(f"/api/v1/traffic_sources/{source_id}", headers=tenant.auth)

    posted = await client.post(
        "/api/v1/leads",
        params={
            "lead_token": schedule.leads_api_key,
            "caller_id": CALLER,
            "traffic_source_id": "pub-1",
        },
    )

    assert posted.status_code == 200, posted.text
    assert posted.json()["lead"]["traffic_source_id"] == source_id
