"""Who the lead is and where it came from: caller ID, e-mail, traffic source, sub ID, IP."""

from __future__ import annotations

import httpx
import pytest

from leadflow.app_state import state_of
from leadflow.models import Schedule
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher


@pytest.mark.parametrize(
    "typed", ["7193132645", "17193132645", "(719) 313-2645", "+1 719-313-2645"]
)
async def test_caller_id_is_stored_in_e164(publisher: Publisher, typed: str) -> None:
    lead = await publisher.lead(caller_id=typed)
    assert lead["caller_id"] == CALLER


async def test_caller_id_uses_the_company_region(
    client: httpx.AsyncClient, factory: Factory, app: object
) -> None:
    tenant = await factory.tenant()
    async with state_of(app).sessionmaker() as session:  # type: ignore[attr-defined]
        company = await session.get(type(tenant.company), tenant.company.id)
        company.default_region = "GB"
        await session.commit()
    schedule = await factory.schedule(tenant)
    lead = await Publisher(client, schedule.leads_api_key).lead(caller_id="020 7946 0018")
    assert lead["caller_id"] == "+442079460018"


async def test_invalid_caller_id_is_422(publisher: Publisher) -> None:
    response = await publisher.post(caller_id="555")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["caller_id"]


async def test_a_lead_without_caller_id_is_stored(publisher: Publisher) -> None:
    lead = await publisher.lead(email="john@example.com")
    assert lead["caller_id"] is None
    assert lead["email"] == "john@example.com"


async def test_email_is_lowercased(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, email="  John.Smith@Example.COM ")
    assert lead["email"] == "john.smith@example.com"


async def test_invalid_email_is_422(publisher: Publisher) -> None:
    response = await publisher.post(caller_id=CALLER, email="john@")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["email"]


async def test_email_inside_data_is_the_lead_email(publisher: Publisher) -> None:
    response = await publisher.post_json(
        {"caller_id": CALLER, "data": {"interest": "kittens", "email": "John@Example.com"}}
    )
    lead = response.json()["lead"]
    assert lead["email"] == "john@example.com"
    assert lead["data"] == {"interest": "kittens"}


async def test_traffic_source_by_id_is_attributed(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    source = await factory.traffic_source(tenant)
    lead = await publisher.lead(caller_id=CALLER, traffic_source_id=str(source.id))
    assert lead["traffic_source_id"] == source.id


async def test_traffic_source_by_the_publishers_own_id_is_attributed(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    source = await factory.traffic_source(tenant, user_traffic_source_id="pub-42")
    lead = await publisher.lead(caller_id=CALLER, traffic_source_id="pub-42")
    assert lead["traffic_source_id"] == source.id


async def test_another_companys_traffic_source_is_422(
    publisher: Publisher, factory: Factory
) -> None:
    stranger = await factory.traffic_source(await factory.tenant())
    response = await publisher.post(caller_id=CALLER, traffic_source_id=str(stranger.id))
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "traffic_source_id": ["is not one of your traffic sources"]
    }


@pytest.mark.parametrize("ref", ["99999999999999999999999", "²", "-1"])
async def test_odd_traffic_source_ids_are_422(publisher: Publisher, ref: str) -> None:
    response = await publisher.post(caller_id=CALLER, traffic_source_id=ref)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["traffic_source_id"]


async def test_sub_id_is_stored_and_is_not_a_token(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, sub_id="creative-7")
    assert lead["sub_id"] == "creative-7"
    assert lead["data"] == {}


async def test_overlong_sub_id_is_422(publisher: Publisher) -> None:
    response = await publisher.post(caller_id=CALLER, sub_id="x" * 201)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["sub_id"]


async def test_client_ip_is_stored_as_remote_ip(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER)
    assert lead["remote_ip"] == "203.0.113.7"


async def test_schedule_and_offer_are_on_the_lead(publisher: Publisher, schedule: Schedule) -> None:
    lead = await publisher.lead(caller_id=CALLER)
    assert (lead["schedule_id"], lead["offer_id"]) == (schedule.id, schedule.offer_id)
    assert lead["status"] == "scheduled"
    assert lead["uuid"]
    assert lead["created_at"] == lead["updated_at"] == "2026-01-05T15:00:00Z"
