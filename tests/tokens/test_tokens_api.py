"""`/api/v1/tokens`: the token names leads carry, with counts."""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.models import Lead, Offer, Schedule
from tests.factories import Factory, Tenant


async def _lead(
    factory: Factory, tenant: Tenant, offer: Offer, tokens: dict[str, Any], **fields: Any
) -> None:
    now = factory.clock.now()
    async with factory.sessionmaker() as session:
        session.add(
            Lead(
                company_id=tenant.company.id,
                offer_id=offer.id,
                tokens=tokens,
                created_at=now,
                updated_at=now,
                **fields,
            )
        )
        await session.commit()


def _counts(response: httpx.Response) -> dict[str, int]:
    assert response.status_code == 200, response.text
    return {row["name"]: row["count"] for row in response.json()["tokens"]}


async def test_tokens_counts_each_name_across_the_companys_leads(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    offer, foreign = await factory.offer(tenant), await factory.offer(other)
    await _lead(factory, tenant, offer, {"first_name": "Ann", "zip": "80903"})
    await _lead(factory, tenant, offer, {"first_name": "Bob"})
    await _lead(factory, other, foreign, {"secret_field": "x"})

    response = await client.get("/api/v1/tokens", headers=tenant.auth)

    assert _counts(response) == {"first_name": 2, "zip": 1}
    assert response.json()["tokens"][0]["name"] == "first_name"


async def test_fields_counts_only_the_leads_of_the_named_schedule_or_offer(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    schedule: Schedule = await factory.schedule(tenant, offer)
    await _lead(factory, tenant, offer, {"state": "CO"}, schedule_id=schedule.id)
    await _lead(factory, tenant, offer, {"zip": "80903"})

    by_schedule = await client.get(
        "/api/v1/tokens/fields", params={"lead_token": schedule.leads_api_key}, headers=tenant.auth
    )
    by_offer = await client.get(
        "/api/v1/tokens/fields", params={"lead_token": offer.leads_api_key}, headers=tenant.auth
    )

    assert _counts(by_schedule) == {"state": 1}
    assert _counts(by_offer) == {"state": 1, "zip": 1}


async def test_an_unknown_or_foreign_lead_token_is_401(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    foreign = await factory.offer(other)

    unknown = await client.get(
        "/api/v1/tokens/fields", params={"lead_token": "nope"}, headers=tenant.auth
    )
    not_ours = await client.get(
        "/api/v1/tokens/fields", params={"lead_token": foreign.leads_api_key}, headers=tenant.auth
    )

    assert (unknown.status_code, not_ours.status_code) == (401, 401)
    assert "lead_token" in unknown.json()["errors"]
