"""make_call keeps the lead's calling hours (the cadence's own rule) and needs a caller ID;
form posts may send ``data`` in the bracket form lead intake reads."""

from __future__ import annotations

import httpx
import pytest

from leadflow.channels.simulated import SimulatedVoice
from leadflow.clock import FrozenClock
from leadflow.models import Call
from leadflow.settings import Settings
from tests.calls.dialing.conftest import PATH, make_call
from tests.factories import Factory
from tests.telephony.builders import Builder

DENVER = "+17193132645"
UK_MOBILE = "+447911123456"


def refusal(answer: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    assert answer.status_code == 422, answer.text
    return answer.json()["error_code"], answer.json()["errors"]


async def test_denver_number_at_one_in_the_morning_is_outside_calling_hours(
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
) -> None:
    clock.advance(hours=-7)  # Monday 08:00 UTC: 01:00 in Denver
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": DENVER})
    assert refusal(answer) == (
        "outside_calling_hours",
        {"to": ["is outside the lead's calling hours; they open next at 2026-01-05T15:00:00Z"]},
    )
    assert list(voice.sent) == []
    assert await build.rows(Call) == []

    clock.advance(hours=7)  # 08:00 in Denver
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": DENVER})
    assert answer.status_code == 200, answer.text
    assert [sent.to for sent in voice.sent] == [DENVER]


async def test_existing_lead_follows_its_schedules_hours(
    client: httpx.AsyncClient, factory: Factory, build: Builder, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    late_opening = {"monday": {"open": "1200", "close": "1700"}}
    schedule = await factory.schedule(tenant, calling_hours=late_opening)
    lead = await build.lead(tenant, schedule, DENVER)
    assert refusal(await make_call(client, tenant, {"lead_id": lead.id})) == (
        "outside_calling_hours",
        {"to": ["is outside the lead's calling hours; they open next at 2026-01-05T19:00:00Z"]},
    )
    clock.advance(hours=4)  # 12:00 in Denver
    answer = await make_call(client, tenant, {"lead_id": lead.id})
    assert answer.status_code == 200, answer.text


async def test_uk_mobile_is_called_at_eight_past_eight_london_time(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    clock.advance(hours=17, minutes=4)  # Tuesday 08:04 in London, 03:04 in New York
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, time_zone="America/New_York")
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": UK_MOBILE})
    assert answer.status_code == 200, answer.text


async def test_form_post_reads_data_in_the_bracket_form(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    answer = await client.post(
        PATH,
        data={
            "schedule_id": str(schedule.id),
            "to": DENVER,
            "data[first_name]": "John",
            "data[address][city]": "Denver",
        },
        headers=tenant.auth,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["call"]["data"] == {"first_name": "John", "address_city": "Denver"}


async def test_query_string_bracket_data_is_read_and_json_data_wins(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    answer = await client.post(
        PATH,
        params={"data[first_name]": "John", "data[last_name]": "Doe"},
        json={"schedule_id": schedule.id, "to": DENVER, "data": {"first_name": "Ann"}},
        headers=tenant.auth,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["call"]["data"] == {"first_name": "Ann", "last_name": "Doe"}


class TestWithoutACallerId:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, embedded_worker=False, db_pool_size=5)

    async def test_company_without_a_number_or_default_caller_id_is_refused(
        self, client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
    ) -> None:
        tenant = await factory.tenant()
        schedule = await factory.schedule(tenant)
        answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": DENVER})
        assert refusal(answer) == (
            "no_caller_id",
            {
                "base": [
                    "No caller ID to call from: add a voice number to the company or set "
                    "LEADFLOW_DEFAULT_CALLER_ID"
                ]
            },
        )
        assert list(voice.sent) == []
        assert await build.rows(Call) == []

    async def test_a_voice_number_of_the_company_is_the_caller_id(
        self, client: httpx.AsyncClient, factory: Factory
    ) -> None:
        tenant = await factory.tenant()
        await factory.number(tenant, "+17205550100", ["voice"])
        schedule = await factory.schedule(tenant)
        answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": DENVER})
        assert answer.status_code == 200, answer.text
        assert answer.json()["call"]["caller_number"] == "+17205550100"
