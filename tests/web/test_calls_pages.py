"""Calls: the call log with its filters, money and recording link, and a call's page with its
events, where revenue, payout and conversion are recorded under the API's own rules."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.models import Call, Lead
from tests.calls.seed import Calls
from tests.factories import Factory
from tests.web.conftest import Person, post_form


async def test_the_call_log_shows_each_calls_money_duration_and_recording_and_filters(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    seed = Calls(factory, browser)
    tenant = signed_in.tenant
    await seed.call(
        tenant,
        to_number="+17193132645",
        duration=95,
        revenue_cents=1250,
        payout_cents=425,
        post_call_tokens={"recording_url": "https://rec.example.com/1.mp3"},
    )
    await seed.call(tenant, to_number="+13125550123", status="busy")
    await seed.call(
        tenant, to_number="+13125550199", post_call_tokens={"recording_url": "javascript:x"}
    )
    await seed.call(await factory.tenant(), to_number="+14155550100")
    log = await browser.get("/calls")
    assert log.status_code == 200
    assert "3 calls." in log.text
    assert "95 s" in log.text
    assert "$12.50" in log.text
    assert "$4.25" in log.text
    assert 'href="https://rec.example.com/1.mp3"' in log.text
    assert "javascript:x" not in log.text
    assert "+14155550100" not in log.text
    busy = await browser.get("/calls", params={"status": "busy"})
    assert "1 call." in busy.text
    assert "+13125550123" in busy.text
    found = await browser.get("/calls", params={"q": "(719) 313-2645"})
    assert "1 call." in found.text
    today = factory.clock.now().date()
    later = await browser.get("/calls", params={"from": str(today + timedelta(days=2))})
    assert "0 calls." in later.text


async def test_revenue_payout_and_conversion_are_recorded_and_end_the_lead(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    schedule = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    posted = await browser.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key, "caller_id": "+17193132645"},
    )
    lead_id = posted.json()["lead"]["id"]
    seed = Calls(factory, browser)
    call = await seed.call(tenant, lead_id=lead_id, schedule_id=schedule.id)
    await seed.event(call, "ringing", provider="simulated")
    url = f"/calls/{call.id}"
    shown = await browser.get(url)
    assert "ringing" in shown.text
    assert "provider: simulated" in shown.text
    assert re.search(r"Created: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T<", shown.text)
    saved = await post_form(
        browser, url, url, {"revenue": "12.5", "payout": "4.25", "buyer_converted": "on"}
    )
    assert saved.headers["location"] == f"{url}?done=saved"
    async with state_of(app).sessionmaker() as session:
        stored = await session.get(Call, call.id)
        lead = await session.get(Lead, lead_id)
    assert stored is not None
    assert lead is not None
    assert (stored.revenue_cents, stored.payout_cents, stored.buyer_converted) == (1250, 425, True)
    assert lead.status == "completed_converted"
    again = await browser.get(saved.headers["location"])
    assert "$8.25" in again.text
    assert "updated" in again.text


async def test_bad_money_is_refused_next_to_its_field(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    call = await Calls(factory, browser).call(signed_in.tenant, revenue_cents=100)
    url = f"/calls/{call.id}"
    refused = await post_form(browser, url, url, {"revenue": "-3", "payout": "lots"})
    assert refused.status_code == 422
    assert 'id="err-revenue">Enter 0 or more.' in refused.text
    assert 'id="err-payout">' in refused.text
    async with state_of(app).sessionmaker() as session:
        stored = await session.get(Call, call.id)
    assert stored is not None
    assert stored.revenue_cents == 100


async def test_another_companys_call_is_not_found(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    theirs = await Calls(factory, browser).call(await factory.tenant())
    assert (await browser.get(f"/calls/{theirs.id}")).status_code == 404
