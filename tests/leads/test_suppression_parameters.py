"""``blocked`` and ``unblock_contact``: the company-wide suppression list, from a lead post."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher, Stored
from tests.support.credentials import basic_auth, key_with_permissions


async def test_blocked_stores_the_lead_but_never_works_it(
    publisher: Publisher, stored: Stored
) -> None:
    lead = await publisher.lead(caller_id=CALLER, blocked="true")
    assert (lead["status"], lead["blocked"], lead["next_action_at"]) == ("blocked", True, None)
    contact = await stored.contact(CALLER)
    assert contact is not None
    assert contact.blocked
    assert contact.blocked_at is not None
    assert await stored.event_kinds(lead["id"]) == ["created", "contact_blocked"]


async def test_a_blocked_number_stays_blocked_on_every_schedule(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    await publisher.lead(caller_id=CALLER, blocked="true")
    other = await factory.schedule(tenant)
    lead = await Publisher(publisher.client, other.leads_api_key).lead(caller_id=CALLER)
    assert (lead["status"], lead["blocked"]) == ("blocked", True)


async def test_blocking_a_deduplicated_lead_ends_it(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    deduped = Publisher(
        publisher.client,
        (await factory.schedule(tenant, lead_duplicate_timeframe=600)).leads_api_key,
    )
    first = await deduped.lead(caller_id=CALLER)
    again = await deduped.lead(caller_id=CALLER, blocked="1")
    assert again["id"] == first["id"]
    assert (again["status"], again["next_action_at"]) == ("blocked", None)


async def test_blocking_does_not_reach_another_company(
    publisher: Publisher, factory: Factory, client: httpx.AsyncClient
) -> None:
    await publisher.lead(caller_id=CALLER, blocked="true")
    stranger = await factory.schedule(await factory.tenant())
    lead = await Publisher(client, stranger.leads_api_key).lead(caller_id=CALLER)
    assert (lead["status"], lead["blocked"]) == ("scheduled", False)


async def test_unblock_contact_without_credentials_is_403(
    publisher: Publisher, stored: Stored
) -> None:
    await publisher.lead(caller_id=CALLER, blocked="true")
    response = await publisher.post(caller_id=CALLER, unblock_contact="true")
    assert response.status_code == 403
    assert list(response.json()["errors"]) == ["base"]
    contact = await stored.contact(CALLER)
    assert contact is not None
    assert contact.blocked


async def test_unblock_contact_with_the_companys_credentials_works(
    publisher: Publisher, tenant: Tenant, stored: Stored
) -> None:
    await publisher.lead(caller_id=CALLER, blocked="true")
    response = await publisher.post(caller_id=CALLER, unblock_contact="true", headers=tenant.auth)
    assert response.status_code == 200, response.text
    lead = response.json()["lead"]
    assert (lead["status"], lead["blocked"]) == ("scheduled", False)
    contact = await stored.contact(CALLER)
    assert contact is not None
    assert not contact.blocked
    assert await stored.event_kinds(lead["id"]) == ["created", "contact_unblocked"]


async def test_unblock_contact_leaves_an_opt_out_in_force(
    publisher: Publisher, tenant: Tenant, stored: Stored
) -> None:
    """An opt-out is the consumer's own request: unblocking lifts only a block."""
    await publisher.lead(caller_id=CALLER)
    await publisher.post(f"/{CALLER[1:]}/caller_opt_out", method="PUT")
    lead = await publisher.lead(caller_id=CALLER, unblock_contact="yes", headers=tenant.auth)
    assert lead["opt_out"] is True
    assert lead["status"] != "scheduled"
    contact = await stored.contact(CALLER)
    assert contact is not None
    assert contact.opt_out


async def test_unblock_contact_needs_permission_to_write_leads(
    publisher: Publisher, tenant: Tenant, app: FastAPI, clock: FrozenClock
) -> None:
    read_only = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"leads": ["read"]}
    )
    response = await publisher.post(caller_id=CALLER, unblock_contact="true", headers=read_only)
    assert response.status_code == 403


async def test_unblock_contact_with_a_leads_write_key_works(
    publisher: Publisher, tenant: Tenant, app: FastAPI, clock: FrozenClock
) -> None:
    writer = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"leads": ["read", "write"]}
    )
    response = await publisher.post(caller_id=CALLER, unblock_contact="true", headers=writer)
    assert response.status_code == 200, response.text


async def test_unblock_contact_with_another_companys_key_is_403(
    publisher: Publisher, factory: Factory
) -> None:
    stranger = await factory.tenant()
    response = await publisher.post(caller_id=CALLER, unblock_contact="1", headers=stranger.auth)
    assert response.status_code == 403


async def test_unblock_contact_with_wrong_credentials_is_401(publisher: Publisher) -> None:
    response = await publisher.post(
        caller_id=CALLER, unblock_contact="1", headers=basic_auth("nobody", "nothing")
    )
    assert response.status_code == 401


async def test_unblock_contact_false_needs_no_credentials(publisher: Publisher) -> None:
    response = await publisher.post(caller_id=CALLER, unblock_contact="false")
    assert response.status_code == 200
