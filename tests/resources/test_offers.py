"""`/api/v1/offers`: a company's verticals, each with its offer lead token."""

from __future__ import annotations

import httpx

from leadflow.clock import FrozenClock
from tests.factories import Factory


async def test_created_offer_is_answered_in_the_trackdrive_envelope(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/offers",
        json={"name": "Auto Insurance", "description": "Car owners"},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 200
    assert body["errors"] == {}
    assert body["metadata"] == {"root": "offer"}
    offer = body["offer"]
    assert offer["name"] == "Auto Insurance"
    assert offer["description"] == "Car owners"
    assert isinstance(offer["id"], int)
    assert offer["created_at"] == "2026-01-05T15:00:00Z"


async def test_every_offer_gets_its_own_lead_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    first = await client.post("/api/v1/offers", json={"name": "Auto"}, headers=tenant.auth)
    second = await client.post("/api/v1/offers", json={"name": "Life"}, headers=tenant.auth)
    tokens = {first.json()["offer"]["leads_api_key"], second.json()["offer"]["leads_api_key"]}
    assert len(tokens) == 2
    assert all(len(token) >= 32 for token in tokens)


async def test_offer_lead_token_accepts_leads(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    created = await client.post("/api/v1/offers", json={"name": "Auto"}, headers=tenant.auth)
    token = created.json()["offer"]["leads_api_key"]
    lead = await client.post(
        "/api/v1/leads", params={"lead_token": token, "caller_id": "+18004506787"}
    )
    assert lead.status_code == 200, lead.text
    assert lead.json()["lead"]["offer_id"] == created.json()["offer"]["id"]


async def test_offer_is_shown_by_id_and_by_uuid(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant, name="Solar")
    by_id = await client.get(f"/api/v1/offers/{offer.id}", headers=tenant.auth)
    by_uuid = await client.get(f"/api/v1/offers/{offer.uuid}", headers=tenant.auth)
    assert by_id.status_code == 200
    assert by_id.json()["offer"]["name"] == "Solar"
    assert by_uuid.json()["offer"] == by_id.json()["offer"]


async def test_offers_are_listed_under_the_plural_root(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.offer(tenant, name="Auto")
    await factory.offer(tenant, name="Life")
    response = await client.get("/api/v1/offers", headers=tenant.auth)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 200
    assert body["metadata"]["root"] == "offers"
    assert [o["name"] for o in body["offers"]] == ["Auto", "Life"]


async def test_updating_an_offer_changes_only_the_fields_sent(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant, name="Auto", description="Car owners")
    clock.advance(seconds=60)
    response = await client.put(
        f"/api/v1/offers/{offer.id}", json={"name": "Auto Plus"}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    updated = response.json()["offer"]
    assert updated["name"] == "Auto Plus"
    assert updated["description"] == "Car owners"
    assert updated["leads_api_key"] == offer.leads_api_key
    assert updated["updated_at"] == "2026-01-05T15:01:00Z"
    assert updated["created_at"] == "2026-01-05T15:00:00Z"
    shown = await client.get(f"/api/v1/offers/{offer.id}", headers=tenant.auth)
    assert shown.json()["offer"]["name"] == "Auto Plus"


async def test_deleted_offer_is_gone(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant, name="Auto")
    response = await client.delete(f"/api/v1/offers/{offer.id}", headers=tenant.auth)
    assert response.status_code == 200
    assert response.json()["offer"]["id"] == offer.id
    missing = await client.get(f"/api/v1/offers/{offer.id}", headers=tenant.auth)
    assert missing.status_code == 404
    assert missing.json()["errors"] == {"base": ["offer not found"]}


async def test_deleting_an_offer_retires_its_lead_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    await client.delete(f"/api/v1/offers/{offer.id}", headers=tenant.auth)
    lead = await client.post(
        "/api/v1/leads", params={"lead_token": offer.leads_api_key, "caller_id": "+18004506787"}
    )
    assert lead.status_code == 401


async def test_offer_without_a_name_is_422_naming_the_field(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/offers", json={"description": "no name"}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert response.json()["status"] == 422
    assert list(response.json()["errors"]) == ["name"]


async def test_unknown_offer_field_is_422(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/offers", json={"name": "Auto", "colour": "red"}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["colour"]


async def test_lead_token_cannot_be_chosen_by_the_client(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/offers", json={"name": "Auto", "leads_api_key": "mine"}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["leads_api_key"]


async def test_an_offers_destination_number_is_set_normalised_and_cleared(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = await client.post(
        "/api/v1/offers",
        json={"name": "Auto", "destination_number": "(719) 313-2645"},
        headers=tenant.auth,
    )
    assert created.status_code == 200, created.text
    offer = created.json()["offer"]
    assert offer["destination_number"] == "+17193132645"
    path = f"/api/v1/offers/{offer['id']}"

    changed = await client.put(
        path, json={"destination_number": "303-555-0142"}, headers=tenant.auth
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["offer"]["destination_number"] == "+13035550142"
    shown = await client.get(path, headers=tenant.auth)
    assert shown.json()["offer"]["destination_number"] == "+13035550142"

    bad = await client.put(path, json={"destination_number": "12"}, headers=tenant.auth)
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"destination_number": ["is not a valid phone number"]}
    assert (await client.get(path, headers=tenant.auth)).json()["offer"][
        "destination_number"
    ] == "+13035550142"

    for empty in ("", None):
        cleared = await client.put(path, json={"destination_number": empty}, headers=tenant.auth)
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["offer"]["destination_number"] is None
