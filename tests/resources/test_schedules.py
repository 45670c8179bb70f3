"""`/api/v1/schedules`: each belongs to one of the company's offers and has a lead token."""

from __future__ import annotations

import httpx
import pytest

from leadflow.clock import FrozenClock
from tests.factories import Factory, Tenant


async def _create(client: httpx.AsyncClient, tenant: Tenant, **fields: object) -> httpx.Response:
    return await client.post("/api/v1/schedules", json=fields, headers=tenant.auth)


async def test_created_schedule_has_its_lead_token_and_defaults(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    response = await _create(client, tenant, name="Call new leads", offer_id=offer.id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"] == {"root": "schedule"}
    schedule = body["schedule"]
    assert schedule["name"] == "Call new leads"
    assert schedule["offer_id"] == offer.id
    assert schedule["schedule_type"] == "contact_caller"
    assert schedule["paused"] is False
    assert schedule["lead_duplicate_timeframe"] == 0
    assert schedule["time_zone"] == "America/New_York"
    assert len(schedule["leads_api_key"]) >= 32
    assert schedule["leads_api_key"] != offer.leads_api_key
    assert schedule["created_at"] == schedule["updated_at"] == "2026-01-05T15:00:00Z"


async def test_every_documented_field_is_stored(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    fields = {
        "name": "Router",
        "offer_id": offer.id,
        "description": "Sends leads on",
        "paused": True,
        "sortable_order": 3,
        "lead_duplicate_timeframe": 3600,
        "schedule_type": "lead_distribution",
        "time_zone": "America/Chicago",
    }
    created = await _create(client, tenant, **fields)
    assert created.status_code == 200, created.text
    shown = await client.get(
        f"/api/v1/schedules/{created.json()['schedule']['id']}", headers=tenant.auth
    )
    schedule = shown.json()["schedule"]
    assert {name: schedule[name] for name in fields} == fields


async def test_schedule_lead_token_enrols_leads(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    created = (await _create(client, tenant, name="Call", offer_id=offer.id)).json()["schedule"]
    lead = await client.post(
        "/api/v1/leads",
        params={"lead_token": created["leads_api_key"], "caller_id": "+18004506787"},
    )
    assert lead.status_code == 200, lead.text
    assert lead.json()["lead"]["schedule_id"] == created["id"]


async def test_schedule_needs_an_offer(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await _create(client, tenant, name="Orphan")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["offer_id"]


async def test_schedule_offer_must_be_the_companys_own(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    stranger = await factory.tenant()
    their_offer = await factory.offer(stranger)
    response = await _create(client, tenant, name="Theirs", offer_id=their_offer.id)
    assert response.status_code == 422
    assert response.json()["errors"] == {"offer_id": ["must be one of your offers"]}


async def test_schedule_cannot_be_moved_to_another_companys_offer(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    their_offer = await factory.offer(await factory.tenant())
    response = await client.put(
        f"/api/v1/schedules/{schedule.id}", json={"offer_id": their_offer.id}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["offer_id"]


async def test_schedule_offer_that_does_not_exist_is_422(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await _create(client, tenant, name="Nowhere", offer_id=987654)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["offer_id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("schedule_type", "robocall"),
        ("time_zone", "Mars/Olympus_Mons"),
        ("lead_duplicate_timeframe", -1),
        ("paused", "perhaps"),
        ("name", ""),
    ],
)
async def test_bad_schedule_field_is_422_naming_it(
    client: httpx.AsyncClient, factory: Factory, field: str, value: object
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    fields: dict[str, object] = {"name": "Call", "offer_id": offer.id, field: value}
    response = await _create(client, tenant, **fields)
    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == [field]


async def test_bad_field_on_update_is_422_and_changes_nothing(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, name="Call")
    response = await client.put(
        f"/api/v1/schedules/{schedule.id}",
        json={"name": "Renamed", "time_zone": "Nowhere/Special"},
        headers=tenant.auth,
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["time_zone"]
    shown = await client.get(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    assert shown.json()["schedule"]["name"] == "Call"


async def test_unknown_schedule_field_is_422(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    response = await _create(client, tenant, name="Call", offer_id=offer.id, dial_speed=9)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["dial_speed"]


async def test_updating_a_schedule_keeps_its_lead_token(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, name="Call")
    other_offer = await factory.offer(tenant)
    clock.advance(minutes=5)
    response = await client.put(
        f"/api/v1/schedules/{schedule.id}",
        json={"paused": True, "offer_id": other_offer.id, "lead_duplicate_timeframe": 600},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    updated = response.json()["schedule"]
    assert updated["paused"] is True
    assert updated["offer_id"] == other_offer.id
    assert updated["lead_duplicate_timeframe"] == 600
    assert updated["name"] == "Call"
    assert updated["leads_api_key"] == schedule.leads_api_key
    assert updated["updated_at"] == "2026-01-05T15:05:00Z"
    assert updated["created_at"] == "2026-01-05T15:00:00Z"


async def test_schedules_are_listed_under_the_plural_root(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.schedule(tenant, name="First")
    await factory.schedule(tenant, name="Second")
    response = await client.get("/api/v1/schedules", headers=tenant.auth)
    assert response.status_code == 200
    body = response.json()
    assert body["metadata"]["root"] == "schedules"
    assert [s["name"] for s in body["schedules"]] == ["First", "Second"]
    assert all("leads_api_key" in s for s in body["schedules"])


async def test_deleted_schedule_is_gone_and_its_token_retired(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    response = await client.delete(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    assert response.status_code == 200
    assert response.json()["schedule"]["id"] == schedule.id
    assert (
        await client.get(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    ).status_code == 404
    lead = await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"},
    )
    assert lead.status_code == 401


async def test_schedule_with_leads_can_be_deleted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    lead = await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"},
    )
    assert lead.status_code == 200
    response = await client.delete(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    assert response.status_code == 200, response.text


async def test_offer_with_schedules_and_leads_can_be_deleted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"},
    )
    response = await client.delete(f"/api/v1/offers/{schedule.offer_id}", headers=tenant.auth)
    assert response.status_code == 200, response.text
    gone = await client.get(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    assert gone.status_code == 404


async def test_deleted_schedule_token_stops_working_at_once_after_use(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    params = {"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"}
    assert (await client.post("/api/v1/leads", params=params)).status_code == 200
    await client.delete(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    response = await client.post("/api/v1/leads", params={**params, "caller_id": "+18004506788"})
    assert response.status_code == 401


async def test_schedule_change_applies_to_the_next_lead_at_once(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    params = {"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"}
    assert (await client.post("/api/v1/leads", params=params)).status_code == 200
    await client.put(
        f"/api/v1/schedules/{schedule.id}",
        json={"lead_duplicate_timeframe": 3600},
        headers=tenant.auth,
    )
    again = await client.post("/api/v1/leads", params=params)
    assert again.status_code == 200, again.text
    assert again.json()["dedupe_action"] == "updated"
