"""make_call dials an existing lead, reuses a live lead of the schedule, or creates a one-off
lead the cadence never works; the call is stored before it is dialed and carries the answer."""

from __future__ import annotations

import httpx

from leadflow.channels.simulated import SimulatedVoice
from leadflow.clock import FrozenClock
from leadflow.models import Call, CallEvent, Lead, LeadEvent, LeadStatus
from leadflow.models.schedule import LEAD_DISTRIBUTION
from tests.calls.dialing.conftest import distribution, make_call
from tests.factories import Factory
from tests.telephony.builders import Builder

CALLER = "+17193132645"
OTHER = "+17193132646"


async def test_lead_id_dials_that_lead_with_its_number_and_schedule(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant = await factory.tenant()
    source = await factory.traffic_source(tenant)
    schedule = await factory.schedule(tenant)
    lead = await build.lead(tenant, schedule, CALLER, traffic_source_id=source.id)

    answer = await make_call(client, tenant, {"lead_id": lead.uuid})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    call = body["call"]
    assert (body["status"], body["errors"], body["lead_id"], body["lead_created"]) == (
        200,
        {},
        lead.id,
        False,
    )
    assert (call["to"], call["lead_id"], call["schedule_id"]) == (CALLER, lead.id, schedule.id)
    assert (call["offer_id"], call["traffic_source_id"]) == (schedule.offer_id, source.id)
    assert call["data"] == {"first_name": "Ada"}
    assert [sent.to for sent in voice.sent] == [CALLER]
    assert voice.sent[0].call_uuid == call["uuid"]
    assert call["provider_id"].startswith("SIMCA")
    assert call["status"] == "completed"
    assert len(await build.rows(Lead)) == 1
    stored = await build.one(Lead, Lead.id == lead.id)
    assert (stored.calls_placed, stored.status) == (1, LeadStatus.SCHEDULED)
    events = await build.rows(CallEvent, CallEvent.call_id == call["id"])
    assert [event.kind for event in events] == ["queued", "status"]
    kinds = [e.kind for e in await build.rows(LeadEvent, LeadEvent.lead_id == lead.id)]
    assert kinds == ["call_placed", "call_ended"]


async def test_unknown_lead_is_404_and_nothing_is_dialed(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    theirs = await build.lead(other, await factory.schedule(other), CALLER)
    for ref in (theirs.id, theirs.uuid, 999_999, "no-such-uuid", "9" * 30):
        answer = await make_call(client, tenant, {"lead_id": ref})
        assert answer.status_code == 404, answer.text
        assert answer.json()["errors"] == {"base": ["lead not found"]}
    assert list(voice.sent) == []
    assert await build.rows(Call) == []


async def test_a_live_lead_enrolled_in_the_schedule_is_reused(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    lead = await build.lead(tenant, schedule, CALLER)

    answer = await make_call(
        client, tenant, {"schedule_id": schedule.id, "to": "(719) 313-2645", "data": {"x": "1"}}
    )

    assert answer.status_code == 200, answer.text
    assert (answer.json()["lead_id"], answer.json()["lead_created"]) == (lead.id, False)
    assert len(await build.rows(Lead)) == 1
    assert (await build.one(Lead, Lead.id == lead.id)).tokens == {"first_name": "Ada", "x": "1"}
    assert answer.json()["call"]["data"] == {"first_name": "Ada", "x": "1"}


async def test_an_ended_lead_is_not_reused_a_one_off_lead_is_created(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    ended = await build.lead(tenant, schedule, CALLER, status=LeadStatus.COMPLETED)

    answer = await make_call(
        client, tenant, {"lead_token": schedule.leads_api_key, "to": CALLER, "data": {"a": "b"}}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["lead_created"] is True
    created = await build.one(Lead, Lead.id == answer.json()["lead_id"])
    assert created.id != ended.id
    assert (created.offer_id, created.schedule_id) == (schedule.offer_id, None)
    assert (created.status, created.next_action_at) == (LeadStatus.WAITING, None)
    assert (created.caller_id, created.tokens, created.calls_placed) == (CALLER, {"a": "b"}, 1)
    call = answer.json()["call"]
    assert (call["schedule_id"], call["lead_id"], call["data"]) == (
        schedule.id,
        created.id,
        {"a": "b"},
    )
    assert [sent.to for sent in voice.sent] == [CALLER]


async def test_a_live_lead_of_another_schedule_is_not_reused(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    schedule, elsewhere = await factory.schedule(tenant), await factory.schedule(tenant)
    await build.lead(tenant, elsewhere, CALLER)
    answer = await make_call(client, tenant, {"schedule_id": schedule.uuid, "to": CALLER})
    assert answer.status_code == 200, answer.text
    assert answer.json()["lead_created"] is True


async def test_a_router_dials_through_its_matching_distribution(
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
) -> None:
    clock.advance(hours=2)  # 10:00 in Denver: a Texas lead may be called from 09:00
    tenant = await factory.tenant()
    router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    texas, other = await factory.schedule(tenant), await factory.schedule(tenant)
    await distribution(
        factory, router, texas, [{"field": "state", "operator": "equals", "value": "TX"}]
    )
    await distribution(factory, router, other, [], priority=5)
    promoted = await build.lead(tenant, texas, CALLER)

    answer = await make_call(
        client, tenant, {"schedule_id": router.id, "to": CALLER, "data": {"state": "TX"}}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["lead_id"], answer.json()["call"]["schedule_id"]) == (
        promoted.id,
        texas.id,
    )

    answer = await make_call(
        client, tenant, {"schedule_id": router.id, "to": OTHER, "data": {"state": "CA"}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["call"]["schedule_id"] == other.id
    assert answer.json()["lead_created"] is True


async def test_a_router_dials_by_the_called_numbers_area_code(
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
) -> None:
    """The number called is the lead's caller_id, so a distribution on it routes the call as it
    would route the number's posted lead."""
    clock.advance(hours=2)
    tenant = await factory.tenant()
    router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    colorado, other = await factory.schedule(tenant), await factory.schedule(tenant)
    await distribution(
        factory,
        router,
        colorado,
        [{"field": "caller_id", "operator": "starts_with", "value": "+1719"}],
    )
    await distribution(factory, router, other, [], priority=5)

    answer = await make_call(client, tenant, {"schedule_id": router.id, "to": "(719) 313-2645"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["call"]["schedule_id"] == colorado.id

    answer = await make_call(client, tenant, {"schedule_id": router.id, "to": "+12125550123"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["call"]["schedule_id"] == other.id


async def test_unknown_schedule_or_token_is_404(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    theirs = await factory.schedule(other)
    for body in (
        {"schedule_id": theirs.id, "to": CALLER},
        {"lead_token": theirs.leads_api_key, "to": CALLER},
        {"lead_token": "nope", "to": CALLER},
    ):
        answer = await make_call(client, tenant, body)
        assert answer.status_code == 404, answer.text
        assert answer.json()["errors"] == {"base": ["schedule not found"]}


async def test_missing_and_malformed_fields_are_each_named(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    answer = await make_call(client, tenant, {})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "lead_id": ["can't be blank unless schedule_id or lead_token is given"],
        "to": ["can't be blank unless lead_id is given"],
    }
    answer = await make_call(client, tenant, {"schedule_id": 1, "to": CALLER, "data": [1]})
    assert answer.json()["errors"] == {"data": ["must be an object of lead attributes"]}
    answer = await make_call(client, tenant, {"lead_id": {"a": 1}})
    assert answer.json()["errors"] == {"lead_id": ["must be text or a number"]}
    answer = await make_call(
        client, tenant, {"schedule_id": 1, "to": CALLER, "data": {"a": "\x00"}}
    )
    assert answer.json()["errors"] == {"data": ["must not contain NUL characters"]}


async def test_form_and_query_parameters_are_read(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    answer = await client.post(
        f"/api/v1/schedules/make_call?schedule_id={schedule.id}",
        data={"to": CALLER, "data": '{"first_name": "Bo"}'},
        headers=tenant.auth,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["call"]["data"] == {"first_name": "Bo"}


async def test_credentials_are_required(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/schedules/make_call", json={"lead_id": 1})
    assert answer.status_code == 401
