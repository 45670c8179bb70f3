"""``/api/v1/scheduled_callbacks``: a call promised at a set time, carried by the lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from leadflow.clock import FrozenClock
from leadflow.models import Lead, LeadEvent, LeadStatus
from tests.factories import Factory, Tenant
from tests.telephony.builders import Builder

PATH = "/api/v1/scheduled_callbacks"
CALLER = "+17193132645"


async def _post(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> httpx.Response:
    return await client.post(PATH, json=body, headers=tenant.auth)


async def test_a_callback_for_a_lead_brings_its_next_action_forward(
    client: httpx.AsyncClient, factory: Factory, build: Builder, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    later = clock.now() + timedelta(days=2)
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER, next_action_at=later)

    answer = await _post(
        client, tenant, {"lead_id": lead.uuid, "place_call_at": "2026-01-06 10:30:00 -0500"}
    )
    assert answer.status_code == 200, answer.text
    record = answer.json()["scheduled_callback"]
    due = datetime(2026, 1, 6, 15, 30, tzinfo=UTC)
    assert (record["lead_id"], record["to_number"], record["status"]) == (
        lead.id,
        CALLER,
        "scheduled",
    )
    assert datetime.fromisoformat(record["place_call_at"]) == due
    stored = await build.one(Lead, Lead.id == lead.id)
    assert (stored.schedule_callback_at, stored.next_action_at) == (due, due)
    (event,) = await build.rows(LeadEvent, LeadEvent.lead_id == lead.id)
    assert (event.kind, event.data["scheduled_callback_id"]) == ("callback_scheduled", record["id"])


async def test_a_later_callback_keeps_an_earlier_next_action(
    client: httpx.AsyncClient, factory: Factory, build: Builder, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER)
    answer = await _post(
        client, tenant, {"lead_id": lead.id, "place_call_at": "2026-01-09T09:00:00Z"}
    )
    assert answer.status_code == 200, answer.text
    stored = await build.one(Lead, Lead.id == lead.id)
    assert stored.next_action_at == clock.now()
    assert stored.schedule_callback_at == datetime(2026, 1, 9, 9, tzinfo=UTC)


async def test_a_time_without_offset_is_read_in_the_given_time_zone(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER)
    answer = await _post(
        client,
        tenant,
        {
            "lead_id": lead.id,
            "place_call_at": "2026-07-01 09:00:00",
            "place_call_time_zone": "America/Chicago",
        },
    )
    record = answer.json()["scheduled_callback"]
    assert datetime.fromisoformat(record["place_call_at"]) == datetime(2026, 7, 1, 14, tzinfo=UTC)
    assert record["place_call_time_zone"] == "America/Chicago"


async def test_schedule_and_number_name_the_live_lead_to_call_back(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    await build.lead(tenant, schedule, CALLER, LeadStatus.COMPLETED, next_action_at=None)
    live = await build.lead(tenant, schedule, CALLER)
    await build.lead(tenant, await factory.schedule(tenant), CALLER)

    answer = await _post(
        client,
        tenant,
        {"schedule_id": schedule.uuid, "to": "(719) 313-2645", "place_call_at": "2026-01-06 10:00"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["scheduled_callback"]["lead_id"] == live.id


async def test_a_number_with_no_live_lead_in_the_schedule_is_422(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    body = {"schedule_id": schedule.id, "to": CALLER, "place_call_at": "2026-01-06 10:00"}
    answer = await _post(client, tenant, body)
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["to"]


async def test_each_bad_field_is_named(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    answer = await _post(
        client,
        tenant,
        {"place_call_at": "next tuesday", "place_call_time_zone": "Mars/Olympus", "to": "12"},
    )
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert sorted(errors) == ["lead_id", "place_call_at", "place_call_time_zone", "to"]

    blank = await _post(client, tenant, {})
    assert sorted(blank.json()["errors"]) == ["lead_id", "place_call_at", "to"]


async def test_an_ended_lead_cannot_be_called_back(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    lead = await build.lead(
        tenant, await factory.schedule(tenant), CALLER, LeadStatus.OPT_OUT, next_action_at=None
    )
    answer = await _post(client, tenant, {"lead_id": lead.id, "place_call_at": "2026-01-06 10:00"})
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["lead_id"]


async def test_another_companys_lead_is_404_and_unchanged(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    a, b = await factory.tenant(), await factory.tenant()
    lead = await build.lead(a, await factory.schedule(a), CALLER)
    answer = await _post(client, b, {"lead_id": lead.id, "place_call_at": "2026-01-06 10:00"})
    assert answer.status_code == 404
    assert (await build.one(Lead, Lead.id == lead.id)).schedule_callback_at is None


async def test_callbacks_are_listed_and_shown(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    made = []
    for hour in (10, 9):
        lead = await build.lead(tenant, schedule, f"+1719313264{hour - 9}")
        body = {"lead_id": lead.id, "place_call_at": f"2026-01-06 {hour}:00:00 +0000"}
        made.append((await _post(client, tenant, body)).json()["scheduled_callback"])

    listed = await client.get(PATH, params={"order": "place_call_at"}, headers=tenant.auth)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [c["id"] for c in body["scheduled_callbacks"]] == [made[1]["id"], made[0]["id"]]
    assert body["metadata"]["total_count"] == 2

    shown = await client.get(f"{PATH}/{made[0]['uuid']}", headers=tenant.auth)
    assert shown.json()["scheduled_callback"] == made[0]
    assert (await client.get(f"{PATH}/999999", headers=tenant.auth)).status_code == 404


async def test_a_key_without_leads_write_may_not_schedule(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    made = await client.post(
        "/api/v1/api_keys",
        json={"name": "reader", "permissions": {"leads": ["read"]}},
        headers=tenant.auth,
    )
    key = made.json()["api_key"]
    reader = Tenant(tenant.company, key["public_key"], key["private_key"])
    lead = await build.lead(tenant, await factory.schedule(tenant), CALLER)
    answer = await _post(client, reader, {"lead_id": lead.id, "place_call_at": "2026-01-06 10:00"})
    assert answer.status_code == 403
    assert (await client.get(PATH, headers=reader.auth)).status_code == 200
