"""The 30-second lock holds under concurrency: twenty requests for one number at once place
exactly one call; the others are told the number was just dialed."""

from __future__ import annotations

import asyncio

import httpx

from leadflow.channels.simulated import SimulatedVoice
from leadflow.models import Call, Lead
from tests.calls.dialing.conftest import make_call, set_calls_per_second
from tests.factories import Factory
from tests.telephony.builders import Builder

CALLER = "+17193132645"
CONCURRENT = 20


async def test_twenty_concurrent_requests_for_one_number_place_exactly_one_call(
    client: httpx.AsyncClient, factory: Factory, build: Builder, voice: SimulatedVoice
) -> None:
    tenant = await factory.tenant()
    await set_calls_per_second(factory, tenant, 1000)
    schedule = await factory.schedule(tenant)
    body = {"schedule_id": schedule.id, "to": CALLER}

    answers = await asyncio.gather(*(make_call(client, tenant, body) for _ in range(CONCURRENT)))

    codes = sorted(
        a.json().get("error_code", "placed") if a.status_code != 200 else "placed" for a in answers
    )
    assert codes == ["placed"] + ["recently_dialed"] * (CONCURRENT - 1)
    assert [sent.to for sent in voice.sent] == [CALLER]
    assert len(await build.rows(Call)) == 1
    assert len(await build.rows(Lead)) == 1
