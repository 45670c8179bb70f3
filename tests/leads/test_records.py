"""`/api/v1/leads` as a company resource: list, show with timeline, update, delete."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Contact, Lead, LeadEvent, LeadStatus
from tests.factories import Factory, Tenant
from tests.support.credentials import key_with_permissions

CALLER = "+17193132645"


async def _lead(factory: Factory, tenant: Tenant, **fields: Any) -> Lead:
    offer = await factory.offer(tenant)
    now = factory.clock.now()
    fields.setdefault("caller_id", CALLER)
    lead = Lead(company_id=tenant.company.id, offer_id=offer.id, created_at=now, updated_at=now)
    for name, value in fields.items():
        setattr(lead, name, value)
    async with factory.sessionmaker() as session:
        session.add(lead)
        await session.commit()
    return lead


async def _event_kinds(factory: Factory, lead_id: int) -> list[str]:
    async with factory.sessionmaker() as session:
        stmt = select(LeadEvent.kind).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
        return list((await session.scalars(stmt)).all())


async def test_a_company_lists_its_own_leads_and_never_another_companys(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    lead = await _lead(factory, mine)
    await _lead(factory, theirs)

    response = await client.get("/api/v1/leads", headers=mine.auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert [row["id"] for row in body["leads"]] == [lead.id]
    assert body["metadata"]["total_count"] == 1
    assert body["leads"][0]["caller_id"] == CALLER


async def test_fulltext_finds_a_lead_by_caller_id_in_any_format(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    wanted = await _lead(factory, tenant)
    await _lead(factory, tenant, caller_id="+13035550100")

    response = await client.get(
        "/api/v1/leads", params={"fulltext": "(719) 313-2645"}, headers=tenant.auth
    )

    assert [row["id"] for row in response.json()["leads"]] == [wanted.id]


async def test_lead_grid_serializer_and_columns_shape_the_listing(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await _lead(factory, tenant, tokens={"first_name": "Ann"})

    grid = await client.get(
        "/api/v1/leads", params={"serializer": "lead_grid"}, headers=tenant.auth
    )
    picked = await client.get(
        "/api/v1/leads", params={"columns": "uuid,blocked,data"}, headers=tenant.auth
    )

    assert "data" not in grid.json()["leads"][0]
    assert grid.json()["leads"][0]["human_status"] == "Scheduled"
    assert picked.json()["leads"][0].keys() == {"uuid", "blocked", "data"}
    assert picked.json()["leads"][0]["data"] == {"first_name": "Ann"}


async def test_a_lead_shows_by_uuid_with_its_timeline_oldest_first(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant)
    await client.put(
        f"/api/v1/leads/{lead.id}", json={"email": "a@example.com"}, headers=tenant.auth
    )
    await client.put(f"/api/v1/leads/{lead.id}", json={"opt_out": True}, headers=tenant.auth)

    response = await client.get(f"/api/v1/leads/{lead.uuid}", headers=tenant.auth)

    assert response.status_code == 200, response.text
    shown = response.json()["lead"]
    assert shown["id"] == lead.id
    assert [event["kind"] for event in shown["events"]] == ["updated", "opted_out"]


async def test_another_companys_credentials_get_404_on_a_lead(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner, other = await factory.tenant(), await factory.tenant()
    lead = await _lead(factory, owner)
    path = f"/api/v1/leads/{lead.uuid}"

    answers = [
        await client.get(path, headers=other.auth),
        await client.put(path, json={"email": "x@example.com"}, headers=other.auth),
        await client.delete(path, headers=other.auth),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert (await client.get(path, headers=owner.auth)).json()["lead"]["email"] is None


async def test_updating_a_lead_normalises_caller_id_merges_data_and_writes_an_event(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    source = await factory.traffic_source(tenant)
    lead = await _lead(factory, tenant, tokens={"first_name": "Ann", "zip": "80903"})

    response = await client.put(
        f"/api/v1/leads/{lead.id}",
        json={
            "caller_id": "(303) 555-0100",
            "data": {"zip": "80904", "state": "CO"},
            "traffic_source_id": source.id,
            "schedule_callback_at": "2026-01-06 10:00:00 -0500",
            "contact_field_type": "mobile",
        },
        headers=tenant.auth,
    )

    assert response.status_code == 200, response.text
    updated = response.json()["lead"]
    assert updated["caller_id"] == "+13035550100"
    assert updated["data"] == {"first_name": "Ann", "zip": "80904", "state": "CO"}
    assert updated["traffic_source_id"] == source.id
    assert updated["schedule_callback_at"].startswith("2026-01-06T15:00:00")
    assert updated["next_action_at"] == updated["schedule_callback_at"]
    assert await _event_kinds(factory, lead.id) == ["updated"]


async def test_bad_values_are_refused_with_each_field_named(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    foreign_source = await factory.traffic_source(other)
    lead = await _lead(factory, tenant)

    response = await client.put(
        f"/api/v1/leads/{lead.id}",
        json={
            "caller_id": "12",
            "traffic_source_id": foreign_source.id,
            "next_action_at": "someday",
            "data": None,
        },
        headers=tenant.auth,
    )

    assert response.status_code == 422
    assert response.json()["errors"].keys() == {
        "caller_id",
        "traffic_source_id",
        "next_action_at",
        "data",
    }


async def test_opting_out_a_lead_ends_every_live_lead_of_the_number(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant)
    sibling = await _lead(factory, tenant)

    response = await client.put(
        f"/api/v1/leads/{lead.id}", json={"opt_out": True}, headers=tenant.auth
    )

    assert response.json()["lead"]["opt_out"] is True
    sibling_now = await client.get(f"/api/v1/leads/{sibling.id}", headers=tenant.auth)
    assert sibling_now.json()["lead"]["status"] == LeadStatus.OPT_OUT
    async with factory.sessionmaker() as session:
        contact = (await session.scalars(select(Contact))).one()
    assert (contact.number, contact.opt_out) == (CALLER, True)


async def test_an_opt_out_is_not_lifted_by_editing_the_lead(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant)
    path = f"/api/v1/leads/{lead.id}"
    await client.put(path, json={"opt_out": True}, headers=tenant.auth)

    refused = await client.put(path, json={"opt_out": False}, headers=tenant.auth)
    unchanged = await client.put(path, json={"opt_out": True}, headers=tenant.auth)

    assert refused.status_code == 422
    assert "caller_opt_in" in refused.json()["errors"]["opt_out"][0]
    assert unchanged.status_code == 200
    async with factory.sessionmaker() as session:
        contact = (await session.scalars(select(Contact))).one()
    assert contact.opt_out is True


async def test_unblocking_a_blocked_lead_clears_the_contact_but_the_lead_stays_ended(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant)
    path = f"/api/v1/leads/{lead.id}"

    blocked = await client.put(path, json={"blocked": True}, headers=tenant.auth)
    unblocked = await client.put(path, json={"blocked": False}, headers=tenant.auth)

    assert blocked.json()["lead"]["blocked"] is True
    assert blocked.json()["lead"]["status"] == LeadStatus.BLOCKED
    assert unblocked.status_code == 200
    async with factory.sessionmaker() as session:
        contact = (await session.scalars(select(Contact))).one()
    assert (contact.blocked, contact.blocked_at) == (False, None)
    assert await _event_kinds(factory, lead.id) == ["blocked", "contact_unblocked"]


async def test_a_deleted_lead_is_gone(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant)

    deleted = await client.delete(f"/api/v1/leads/{lead.id}", headers=tenant.auth)

    assert deleted.json()["lead"]["id"] == lead.id
    assert (await client.get(f"/api/v1/leads/{lead.id}", headers=tenant.auth)).status_code == 404


async def test_a_key_without_leads_write_cannot_edit_or_delete_a_lead(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    lead = await _lead(factory, tenant)
    reader = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"leads": ["read"]}
    )
    path = f"/api/v1/leads/{lead.id}"

    listed = await client.get("/api/v1/leads", headers=reader)
    edited = await client.put(path, json={"blocked": False}, headers=reader)
    deleted = await client.delete(path, headers=reader)

    assert listed.status_code == 200
    assert (edited.status_code, deleted.status_code) == (403, 403)


async def test_total_count_follows_created_and_deleted_leads(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """On SQLite the unfiltered total comes from a count kept by triggers; on PostgreSQL from
    counting. Either way it must move with every insert and delete."""
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    other = await factory.tenant()
    other_schedule = await factory.schedule(other)
    for n in range(3):
        await client.post(
            "/api/v1/leads",
            params={"lead_token": schedule.leads_api_key, "caller_id": f"+1719313264{n}"},
        )
    await client.post(
        "/api/v1/leads",
        params={"lead_token": other_schedule.leads_api_key, "caller_id": "+17193132649"},
    )
    listed = await client.get("/api/v1/leads", headers=tenant.auth)
    assert listed.json()["metadata"]["total_count"] == 3
    first = listed.json()["leads"][0]["id"]
    assert (await client.delete(f"/api/v1/leads/{first}", headers=tenant.auth)).status_code == 200
    again = await client.get("/api/v1/leads", headers=tenant.auth)
    assert again.json()["metadata"]["total_count"] == 2
    filtered = await client.get(
        "/api/v1/leads", params={"fulltext": "+17193132641"}, headers=tenant.auth
    )
    assert filtered.json()["metadata"]["total_count"] <= 1
