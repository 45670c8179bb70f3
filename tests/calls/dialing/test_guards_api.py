"""Each guard through the HTTP API, with its exact code and message, in the contract's order;
a refused call writes nothing, dials nothing and consumes neither the CPS budget nor the lock."""

from __future__ import annotations

import httpx
import pytest

from leadflow.channels.simulated import SimulatedVoice
from leadflow.clock import FrozenClock
from leadflow.models import Call, Lead, LeadStatus
from leadflow.models.schedule import LEAD_DISTRIBUTION
from tests.calls.dialing.conftest import distribution, make_call, set_calls_per_second
from tests.factories import Factory
from tests.telephony.builders import Builder

CALLER = "+17193132645"


async def call_placed_ago(
    build: Builder, clock: FrozenClock, lead: Lead, status: str, seconds: float
) -> None:
    """A call the cadence placed ``seconds`` ago, now in ``status``."""
    clock.advance(seconds=-seconds)
    await build.call(lead, status=status)
    clock.advance(seconds=seconds)


def refusal(answer: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    return body["error_code"], body["errors"]


async def test_paused_schedule_is_schedule_inactive(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, paused=True)
    lead = await build.lead(tenant, schedule, CALLER)
    expected = ("schedule_inactive", {"schedule_id": ["is paused; resume it to place calls"]})
    assert refusal(await make_call(client, tenant, {"lead_id": lead.id})) == expected
    body = {"schedule_id": schedule.id, "to": "+17193132699"}
    assert refusal(await make_call(client, tenant, body)) == expected
    assert list(voice.sent) == []
    assert await build.rows(Call) == []
    assert len(await build.rows(Lead)) == 1


async def test_paused_router_target_is_schedule_inactive(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    await distribution(factory, router, await factory.schedule(tenant, paused=True), [])
    answer = await make_call(client, tenant, {"schedule_id": router.id, "to": CALLER})
    assert refusal(answer)[0] == "schedule_inactive"


async def test_spent_calls_per_second_is_cps_exceeded(
    client: httpx.AsyncClient, factory: Factory, voice: SimulatedVoice, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    await set_calls_per_second(factory, tenant, 2)
    schedule = await factory.schedule(tenant)
    numbers = [f"+1719313{n:04d}" for n in range(3)]
    answers = [
        await make_call(client, tenant, {"schedule_id": schedule.id, "to": number})
        for number in numbers
    ]
    assert [a.status_code for a in answers] == [200, 200, 422]
    assert refusal(answers[2]) == (
        "cps_exceeded",
        {"base": ["Calls per second limit of 2 reached; try again in a second"]},
    )
    clock.advance(seconds=1)
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": numbers[2]})
    assert answer.status_code == 200, answer.text
    assert [sent.to for sent in voice.sent] == numbers


async def test_a_limit_of_zero_places_no_call(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    await set_calls_per_second(factory, tenant, 0)
    schedule = await factory.schedule(tenant)
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": CALLER})
    assert refusal(answer)[0] == "cps_exceeded"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"blocked": True}, "is blocked"),
        ({"opt_out": True}, "has opted out"),
        ({"dnc": True}, "is on the do-not-call list"),
    ],
)
async def test_suppressed_number_is_refused_with_the_reason(
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    flags: dict[str, bool],
    message: str,
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    await factory.contact(tenant, CALLER, **flags)
    lead = await build.lead(tenant, schedule, CALLER)
    assert refusal(await make_call(client, tenant, {"lead_id": lead.id})) == (
        "suppressed",
        {"to": [message]},
    )
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": "719-313-2645"})
    assert refusal(answer) == ("suppressed", {"to": [message]})
    assert list(voice.sent) == []


async def test_number_dialed_within_30_seconds_is_recently_dialed(
    client: httpx.AsyncClient, factory: Factory, voice: SimulatedVoice, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    body = {"schedule_id": schedule.id, "to": CALLER}
    assert (await make_call(client, tenant, body)).status_code == 200
    clock.advance(seconds=29)
    assert refusal(await make_call(client, tenant, body)) == (
        "recently_dialed",
        {"to": ["was dialed less than 30 seconds ago"]},
    )
    clock.advance(seconds=1)
    assert (await make_call(client, tenant, body)).status_code == 200
    assert [sent.to for sent in voice.sent] == [CALLER, CALLER]


async def test_a_call_of_the_cadence_counts_as_recently_dialed(
    client: httpx.AsyncClient, factory: Factory, build: Builder, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    lead = await build.lead(tenant, schedule, CALLER)
    await call_placed_ago(build, clock, lead, "completed", seconds=10)
    answer = await make_call(client, tenant, {"lead_id": lead.id})
    assert refusal(answer)[0] == "recently_dialed"


@pytest.mark.parametrize(
    ("to", "message"),
    [("12", "is not a valid phone number"), ("hello", "is not a phone number")],
)
async def test_invalid_destination_is_invalid_number(
    client: httpx.AsyncClient, factory: Factory, build: Builder, to: str, message: str
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": to})
    assert refusal(answer) == ("invalid_number", {"to": [message]})
    assert await build.rows(Lead) == []


async def test_a_lead_without_a_number_is_invalid_number(
    client: httpx.AsyncClient, factory: Factory, build: Builder
) -> None:
    tenant = await factory.tenant()
    lead = await build.lead(tenant, await factory.schedule(tenant), None)  # type: ignore[arg-type]
    answer = await make_call(client, tenant, {"lead_id": lead.id})
    assert refusal(answer) == ("invalid_number", {"to": ["is blank"]})


async def test_number_on_a_call_of_a_running_lead_is_duplicate_lead(
    client: httpx.AsyncClient, factory: Factory, build: Builder, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    schedule, elsewhere = await factory.schedule(tenant), await factory.schedule(tenant)
    running = await build.lead(tenant, elsewhere, CALLER, status=LeadStatus.RUNNING)
    await call_placed_ago(build, clock, running, "in-progress", seconds=120)
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": CALLER})
    assert refusal(answer) == (
        "duplicate_lead",
        {"to": ["has another live lead being dialed at the same time"]},
    )


async def test_an_ended_call_of_a_running_lead_is_no_duplicate(
    client: httpx.AsyncClient, factory: Factory, build: Builder, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    running = await build.lead(tenant, schedule, CALLER, status=LeadStatus.RUNNING)
    await call_placed_ago(build, clock, running, "completed", seconds=120)
    answer = await make_call(client, tenant, {"lead_id": running.id})
    assert answer.status_code == 200, answer.text


async def test_router_without_a_matching_distribution_is_no_matching_distribution(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant = await factory.tenant()
    router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    target = await factory.schedule(tenant)
    condition = {"field": "traffic_source_id", "operator": "equals", "value": 999}
    await distribution(factory, router, target, [condition])
    answer = await make_call(client, tenant, {"schedule_id": router.id, "to": CALLER})
    assert refusal(answer) == (
        "no_matching_distribution",
        {"schedule_id": ["is a router and none of its distributions matches the submitted data"]},
    )
    assert list(voice.sent) == []
    assert await build.rows(Lead) == []


async def test_the_first_guard_in_the_contract_order_answers(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """Paused and out of budget and suppressed and invalid: the schedule is named first."""
    tenant = await factory.tenant()
    await set_calls_per_second(factory, tenant, 0)
    await factory.contact(tenant, CALLER, blocked=True)
    paused = await factory.schedule(tenant, paused=True)
    live = await factory.schedule(tenant)
    assert refusal(await make_call(client, tenant, {"schedule_id": paused.id, "to": "12"}))[0] == (
        "schedule_inactive"
    )
    body = {"schedule_id": live.id, "to": CALLER}
    assert refusal(await make_call(client, tenant, body))[0] == "cps_exceeded"
    await set_calls_per_second(factory, tenant, 5)
    assert refusal(await make_call(client, tenant, body))[0] == "suppressed"


async def test_a_refused_call_consumes_neither_the_budget_nor_the_lock(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant = await factory.tenant()
    await set_calls_per_second(factory, tenant, 1)
    schedule = await factory.schedule(tenant)
    blocked = "+17193130001"
    await factory.contact(tenant, blocked, blocked=True)
    refused = await make_call(client, tenant, {"schedule_id": schedule.id, "to": blocked})
    assert refusal(refused)[0] == "suppressed"
    placed = await make_call(client, tenant, {"schedule_id": schedule.id, "to": CALLER})
    assert placed.status_code == 200, placed.text
    assert [sent.to for sent in voice.sent] == [CALLER]
