"""``assign_trackdrive_number`` and ``assign_sms_number``: a number from the company's pool,
answered as ``trackdrive_number_plain`` and ``sms_number_plain``, the same one every time."""

from __future__ import annotations

from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher, Stored

VOICE = "+13035550100"
TEXTS = "+13035550101"


async def test_assign_trackdrive_number_answers_a_voice_number(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    await factory.number(tenant, TEXTS, ["sms"])
    await factory.number(tenant, VOICE, ["voice"])
    lead = await publisher.lead(caller_id=CALLER, assign_trackdrive_number="true")
    assert lead["trackdrive_number_plain"] == VOICE
    assert lead["sms_number_plain"] is None


async def test_assign_sms_number_answers_an_sms_number(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    await factory.number(tenant, VOICE, ["voice"])
    await factory.number(tenant, TEXTS, ["sms"])
    lead = await publisher.lead(caller_id=CALLER, assign_sms_number="true")
    assert lead["sms_number_plain"] == TEXTS
    assert lead["trackdrive_number_plain"] is None


async def test_both_numbers_can_be_assigned_at_once(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    await factory.number(tenant, VOICE, ["voice", "sms"])
    lead = await publisher.lead(
        caller_id=CALLER, assign_trackdrive_number="1", assign_sms_number="1"
    )
    assert (lead["trackdrive_number_plain"], lead["sms_number_plain"]) == (VOICE, VOICE)


async def test_assign_trackdrive_number_with_an_empty_pool_is_422(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    await factory.number(tenant, TEXTS, ["sms"])
    response = await publisher.post(caller_id=CALLER, assign_trackdrive_number="true")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["assign_trackdrive_number"]


async def test_assign_sms_number_with_an_empty_pool_is_422(publisher: Publisher) -> None:
    response = await publisher.post(caller_id=CALLER, assign_sms_number="true")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["assign_sms_number"]


async def test_a_failed_assignment_stores_nothing(publisher: Publisher, stored: Stored) -> None:
    await publisher.post(caller_id=CALLER, assign_sms_number="true")
    assert await stored.leads() == []


async def test_another_companys_numbers_are_never_assigned(
    publisher: Publisher, factory: Factory
) -> None:
    await factory.number(await factory.tenant(), VOICE, ["voice"])
    response = await publisher.post(caller_id=CALLER, assign_trackdrive_number="true")
    assert response.status_code == 422


async def test_an_updated_lead_keeps_its_number(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    deduped = Publisher(
        publisher.client,
        (await factory.schedule(tenant, lead_duplicate_timeframe=600)).leads_api_key,
    )
    await factory.number(tenant, VOICE, ["voice"])
    first = await deduped.lead(caller_id=CALLER, assign_trackdrive_number="true")
    await factory.number(tenant, "+13035550102", ["voice"])  # idle, so next in line
    again = await deduped.lead(caller_id=CALLER, assign_trackdrive_number="true")
    assert again["id"] == first["id"]
    assert again["trackdrive_number_plain"] == VOICE


async def test_an_updated_lead_answers_its_number_without_asking(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    deduped = Publisher(
        publisher.client,
        (await factory.schedule(tenant, lead_duplicate_timeframe=600)).leads_api_key,
    )
    await factory.number(tenant, VOICE, ["voice"])
    await deduped.lead(caller_id=CALLER, assign_trackdrive_number="true")
    again = await deduped.lead(caller_id=CALLER, interest="kittens")
    assert again["trackdrive_number_plain"] == VOICE


async def test_numbers_are_shared_out_across_leads(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    await factory.number(tenant, VOICE, ["voice"])
    await factory.number(tenant, "+13035550102", ["voice"])
    first = await publisher.lead(caller_id=CALLER, assign_trackdrive_number="true")
    second = await publisher.lead(caller_id="+18004506787", assign_trackdrive_number="true")
    assert {first["trackdrive_number_plain"], second["trackdrive_number_plain"]} == {
        VOICE,
        "+13035550102",
    }
