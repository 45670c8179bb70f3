"""`/api/v1/contacts`: the suppression list, blocking and unblocking a number."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Lead, LeadStatus
from tests.factories import Factory, Tenant
from tests.support.credentials import key_with_permissions

CALLER = "+17193132645"


async def _lead(factory: Factory, tenant: Tenant) -> Lead:
    offer = await factory.offer(tenant)
    now = factory.clock.now()
    lead = Lead(
        company_id=tenant.company.id,
        offer_id=offer.id,
        caller_id=CALLER,
        next_action_at=now,
        created_at=now,
        updated_at=now,
    )
    async with factory.sessionmaker() as session:
        session.add(lead)
        await session.commit()
    return lead


async def test_the_suppression_list_holds_blocked_opted_out_and_dnc_numbers_only(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.contact(tenant, "+13035550101", blocked=True)
    await factory.contact(tenant, "+13035550102", opt_out=True)
    await factory.contact(tenant, "+13035550103", dnc=True)
    await factory.contact(tenant, "+13035550104")

    response = await client.get(
        "/api/v1/contacts/suppression_list", params={"order": "number"}, headers=tenant.auth
    )

    assert response.status_code == 200, response.text
    listed = response.json()["contacts"]
    assert [row["number"] for row in listed] == ["+13035550101", "+13035550102", "+13035550103"]
    assert response.json()["metadata"]["total_count"] == 3


async def test_another_companys_suppressed_numbers_are_neither_listed_nor_shown(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner, other = await factory.tenant(), await factory.tenant()
    await factory.contact(owner, CALLER, blocked=True)

    listed = await client.get("/api/v1/contacts/suppression_list", headers=other.auth)
    shown = await client.get(f"/api/v1/contacts/{CALLER}", headers=other.auth)
    unblocked = await client.post(f"/api/v1/contacts/{CALLER}/caller_unblock", headers=other.auth)

    assert listed.json()["contacts"] == []
    assert (shown.status_code, unblocked.status_code) == (404, 404)
    mine = await client.get(f"/api/v1/contacts/{CALLER}", headers=owner.auth)
    assert mine.json()["contact"]["blocked"] is True


async def test_an_unknown_number_is_404(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()

    response = await client.get("/api/v1/contacts/7193132645", headers=tenant.auth)

    assert response.status_code == 404


async def test_blocking_a_number_records_it_and_ends_its_live_leads(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant)

    response = await client.post(
        "/api/v1/contacts/(719) 313-2645/caller_block", headers=tenant.auth
    )

    assert response.status_code == 200, response.text
    contact = response.json()["contact"]
    assert (contact["number"], contact["blocked"]) == (CALLER, True)
    assert contact["blocked_at"] is not None
    shown = await client.get(f"/api/v1/leads/{lead.id}", headers=tenant.auth)
    assert shown.json()["lead"]["status"] == LeadStatus.BLOCKED
    assert shown.json()["lead"]["next_action_at"] is None


async def test_unblocking_lifts_the_block_but_keeps_the_opt_out(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.contact(tenant, CALLER, blocked=True, opt_out=True)

    response = await client.post(f"/api/v1/contacts/{CALLER}/caller_unblock", headers=tenant.auth)

    contact = response.json()["contact"]
    assert (contact["blocked"], contact["opt_out"]) == (False, True)
    listed = await client.get("/api/v1/contacts/suppression_list", headers=tenant.auth)
    assert [row["number"] for row in listed.json()["contacts"]] == [CALLER]


async def test_unblocking_a_blocked_number_clears_it(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.contact(tenant, CALLER, blocked=True)

    response = await client.post(f"/api/v1/contacts/{CALLER}/caller_unblock", headers=tenant.auth)

    contact = response.json()["contact"]
    assert (contact["blocked"], contact["opt_out"]) == (False, False)
    listed = await client.get("/api/v1/contacts/suppression_list", headers=tenant.auth)
    assert listed.json()["contacts"] == []


async def test_a_key_without_contacts_write_cannot_block_or_unblock(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    await factory.contact(tenant, CALLER, blocked=True)
    reader = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"contacts": ["read"]}
    )

    shown = await client.get(f"/api/v1/contacts/{CALLER}", headers=reader)
    blocked = await client.post(f"/api/v1/contacts/{CALLER}/caller_block", headers=reader)
    unblocked = await client.post(f"/api/v1/contacts/{CALLER}/caller_unblock", headers=reader)

    assert shown.status_code == 200
    assert (blocked.status_code, unblocked.status_code) == (403, 403)


async def test_a_key_that_may_not_write_leads_cannot_unblock_a_contact(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    tenant = await factory.tenant()
    await client.post("/api/v1/contacts/7193132645/caller_block", headers=tenant.auth)
    limited = await key_with_permissions(
        state_of(app).sessionmaker,
        FrozenClock(),
        tenant.company.id,
        {"contacts": ["read", "write"], "leads": ["read"]},
    )
    response = await client.post("/api/v1/contacts/7193132645/caller_unblock", headers=limited)
    assert response.status_code == 403
    assert response.json()["errors"] == {"base": ["this key may not write leads"]}
