"""make_call weighs the shared lists as the cadence does: the lists the lead's schedule applies
and its exemptions; the company's internal list always refuses."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from leadflow.channels.simulated import SimulatedVoice
from leadflow.clock import FrozenClock
from tests.calls.dialing.conftest import make_call
from tests.dnc.test_checks import LISTED, import_list
from tests.factories import Factory
from tests.telephony.builders import Builder

EVERY_LIST_OFF = {"federal": False, "state": False, "litigator": False}


async def test_a_schedule_that_does_not_apply_the_litigator_list_may_call_its_numbers(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "litigator", LISTED, "+17193132646")
    tenant = await factory.tenant()
    without = await factory.schedule(tenant, dnc_settings={"lists": {"litigator": False}})
    lead = await build.lead(tenant, without, LISTED)
    placed = await make_call(client, tenant, {"lead_id": lead.id})
    assert placed.status_code == 200, placed.text
    one_off = await make_call(client, tenant, {"schedule_id": without.id, "to": "+17193132646"})
    assert one_off.status_code == 200, one_off.text
    assert [call.to for call in voice.sent] == [LISTED, "+17193132646"]


async def test_a_schedule_that_applies_it_refuses_naming_the_list(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    await import_list(app, clock, dnc_dir, "litigator", LISTED)
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, dnc_settings={"lists": {"federal": False}})
    lead = await build.lead(tenant, schedule, LISTED)
    refused = await make_call(client, tenant, {"lead_id": lead.id})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error_code"] == "suppressed"
    assert refused.json()["errors"] == {"to": ["is on the litigator (version 1) do-not-call list"]}
    assert list(voice.sent) == []


async def test_a_recent_inquiry_lets_make_call_through_until_it_is_old(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    tenant = await factory.tenant()
    schedule = await factory.schedule(
        tenant, dnc_settings={"exempt_recent_inquiry": True, "recent_inquiry_days": 90}
    )
    lead = await build.lead(tenant, schedule, LISTED)
    assert (await make_call(client, tenant, {"lead_id": lead.id})).status_code == 200
    # A number with no lead in the schedule has made no inquiry: nothing exempts it.
    fresh = await make_call(client, tenant, {"schedule_id": schedule.id, "to": LISTED[:-1] + "7"})
    assert fresh.status_code == 200  # not listed
    await import_list(app, clock, dnc_dir, "federal", LISTED, LISTED[:-1] + "8")
    no_lead = await make_call(client, tenant, {"schedule_id": schedule.id, "to": LISTED[:-1] + "8"})
    assert no_lead.json()["errors"] == {"to": ["is on the federal (version 2) do-not-call list"]}
    clock.advance(days=91)
    late = await make_call(client, tenant, {"lead_id": lead.id})
    assert late.status_code == 422, late.text
    assert late.json()["errors"] == {"to": ["is on the federal (version 2) do-not-call list"]}
    assert [call.to for call in voice.sent] == [LISTED, LISTED[:-1] + "7"]


async def test_written_consent_in_the_call_lets_it_through_when_the_schedule_exempts_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "litigator", LISTED)
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, dnc_settings={"exempt_written_consent": True})
    lead = await build.lead(tenant, schedule, LISTED)
    refused = await make_call(client, tenant, {"lead_id": lead.id})
    assert refused.json()["error_code"] == "suppressed"
    consent = {"tcpa_consent": "true", "tcpa_consent_timestamp": "2020-01-01T00:00:00Z"}
    placed = await make_call(client, tenant, {"lead_id": lead.id, "data": consent})
    assert placed.status_code == 200, placed.text


async def test_the_internal_list_refuses_whatever_the_schedule_says(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    tenant = await factory.tenant()
    schedule = await factory.schedule(
        tenant,
        dnc_settings={
            "lists": EVERY_LIST_OFF,
            "exempt_recent_inquiry": True,
            "exempt_written_consent": True,
        },
    )
    lead = await build.lead(tenant, schedule, LISTED)
    added = await client.post(f"/api/v1/dnc/internal/{LISTED}", headers=tenant.auth)
    assert added.status_code == 200, added.text
    refused = await make_call(client, tenant, {"lead_id": lead.id})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"to": ["is on the do-not-call list"]}
    assert list(voice.sent) == []
