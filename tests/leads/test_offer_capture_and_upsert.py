"""The offer lead token, ``/leads/capture`` and ``/leads/create_or_update``."""

from __future__ import annotations

import pytest

from leadflow.models import Offer, Schedule
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher, Stored


@pytest.fixture
async def offer(factory: Factory, tenant: Tenant) -> Offer:
    return await factory.offer(tenant)


@pytest.fixture
def offer_publisher(publisher: Publisher, offer: Offer) -> Publisher:
    return Publisher(publisher.client, offer.leads_api_key)


async def test_offer_token_stores_the_data_on_the_offer(
    offer_publisher: Publisher, offer: Offer
) -> None:
    lead = await offer_publisher.lead(caller_id=CALLER, agent="Ann")
    assert (lead["offer_id"], lead["schedule_id"]) == (offer.id, None)
    assert lead["data"] == {"agent": "Ann"}
    assert lead["status"] == "waiting"
    assert lead["next_action_at"] is None


async def test_offer_token_updates_the_callers_record(
    offer_publisher: Publisher, stored: Stored
) -> None:
    first = await offer_publisher.lead(caller_id=CALLER, agent="Ann")
    response = await offer_publisher.post(caller_id=CALLER, transfer_reason="quote")
    assert response.json()["dedupe_action"] == "updated"
    lead = response.json()["lead"]
    assert lead["id"] == first["id"]
    assert lead["data"] == {"agent": "Ann", "transfer_reason": "quote"}
    assert len(await stored.leads()) == 1


async def test_offer_data_is_apart_from_its_schedules_leads(
    offer_publisher: Publisher, factory: Factory, tenant: Tenant, offer: Offer, stored: Stored
) -> None:
    schedule = await factory.schedule(tenant, offer=offer)
    on_schedule = await Publisher(offer_publisher.client, schedule.leads_api_key).lead(
        caller_id=CALLER
    )
    on_offer = await offer_publisher.lead(caller_id=CALLER, agent="Ann")
    assert on_offer["id"] != on_schedule["id"]
    assert (await stored.lead(on_schedule["id"])).tokens == {}


async def test_capture_stores_the_lead_and_starts_nothing(
    publisher: Publisher, schedule: Schedule
) -> None:
    response = await publisher.post("/capture", caller_id=CALLER, interest="kittens")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["lead"]["status"], body["lead"]["next_action_at"]) == ("captured", None)
    assert body["lead"]["has_next_action"] is False
    assert body["lead"]["data"] == {"interest": "kittens"}
    assert (body["schedule_id"], body["dedupe_action"]) == (schedule.id, "created")


async def test_capture_with_an_offer_token_has_no_schedule(offer_publisher: Publisher) -> None:
    body = (await offer_publisher.post("/capture", caller_id=CALLER)).json()
    assert body["schedule_id"] is None
    assert body["lead"]["status"] == "captured"


async def test_capture_json_body(publisher: Publisher) -> None:
    response = await publisher.post_json({"caller_id": CALLER, "data": {"a": "1"}}, "/capture")
    assert response.json()["lead"]["data"] == {"a": "1"}


async def test_capture_deduplicates_inside_the_window(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    deduped = await factory.schedule(tenant, lead_duplicate_timeframe=600)
    poster = Publisher(publisher.client, deduped.leads_api_key)
    first = (await poster.post("/capture", caller_id=CALLER)).json()
    again = (await poster.post("/capture", caller_id=CALLER)).json()
    assert again["dedupe_action"] == "updated"
    assert again["lead"]["id"] == first["lead"]["id"]


async def test_a_later_post_starts_the_captured_leads_schedule(publisher: Publisher) -> None:
    captured = (await publisher.post("/capture", caller_id=CALLER, interest="kittens")).json()
    response = await publisher.post("/create_or_update", caller_id=CALLER, budget="5")
    lead = response.json()["lead"]
    assert lead["id"] == captured["lead"]["id"]
    assert (lead["status"], lead["next_action_at"]) == ("scheduled", "2026-01-05T15:00:00Z")
    assert lead["data"] == {"interest": "kittens", "budget": "5"}


async def test_create_or_update_creates_when_there_is_no_lead(publisher: Publisher) -> None:
    response = await publisher.post("/create_or_update", caller_id=CALLER, interest="kittens")
    assert response.status_code == 200, response.text
    assert response.json()["dedupe_action"] == "created"
    assert response.json()["lead"]["status"] == "scheduled"


async def test_create_or_update_updates_the_live_lead_without_a_window(
    publisher: Publisher, stored: Stored
) -> None:
    first = await publisher.lead(caller_id=CALLER, interest="kittens")
    response = await publisher.post("/create_or_update", caller_id=CALLER, budget="500")
    assert response.json()["dedupe_action"] == "updated"
    assert response.json()["lead"]["id"] == first["id"]
    assert response.json()["lead"]["data"] == {"interest": "kittens", "budget": "500"}
    assert len(await stored.leads()) == 1


async def test_create_or_update_accepts_put(publisher: Publisher) -> None:
    response = await publisher.post("/create_or_update", method="PUT", caller_id=CALLER)
    assert response.status_code == 200


async def test_create_or_update_with_an_unknown_token_is_401(publisher: Publisher) -> None:
    response = await publisher.post("/create_or_update", token="nope", caller_id=CALLER)
    assert response.status_code == 401
