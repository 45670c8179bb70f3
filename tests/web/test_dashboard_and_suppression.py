"""The dashboard's figures and chart, and the suppression list's block and unblock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Contact, Lead
from leadflow.web.pages.dashboard import daily_points
from tests.factories import Factory
from tests.web.conftest import Person, post_form


async def _post_lead(client: httpx.AsyncClient, token: str, caller: str, **extra: str) -> int:
    answer = await client.post(
        "/api/v1/leads", params={"lead_token": token, "caller_id": caller, **extra}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["lead"]["id"])


def test_daily_points_count_each_lead_on_its_day_in_the_companys_zone() -> None:
    zone = ZoneInfo("America/New_York")
    first = date(2026, 3, 2)
    times = [
        datetime(2026, 3, 2, 4, 59, tzinfo=UTC),  # 23:59 on the 1st in New York: not counted
        datetime(2026, 3, 2, 5, 0, tzinfo=UTC),  # midnight of the 2nd in New York
        datetime(2026, 3, 3, 4, 0, tzinfo=UTC),  # still the 2nd in New York
        datetime(2026, 3, 8, 12, 0, tzinfo=UTC),
    ]
    points = daily_points(times, first, zone)
    assert [int(p.value) for p in points] == [2, 0, 0, 0, 0, 0, 1]
    assert points[0].label == "Mon 02 Mar"


async def test_the_dashboard_counts_todays_leads_by_schedule_and_source(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory, clock: FrozenClock
) -> None:
    schedule = await factory.schedule(signed_in.tenant, name="Morning callers")
    source = await factory.traffic_source(signed_in.tenant, name="Facebook")
    clock.advance(days=-2)
    await _post_lead(browser, schedule.leads_api_key, "+18004506700")
    clock.advance(days=2)
    for n in range(3):
        await _post_lead(
            browser, schedule.leads_api_key, f"+1800450680{n}", traffic_source_id=str(source.id)
        )
    html = (await browser.get("/")).text
    assert '<div class="stat"><strong>3</strong> leads</div>' in html
    assert '<td data-label="Schedule">Morning callers</td><td data-label="Leads">3</td>' in html
    assert '<td data-label="Traffic source">Facebook</td><td data-label="Leads">3</td>' in html
    assert "4 leads in the last 7 days; the busiest day" in html
    assert html.count("<rect ") == 2
    assert html.count('class="bar-value"') == 2  # each bar carries its count
    assert html.count(">created</td>") == 4


async def test_an_archived_source_keeps_its_name_in_todays_counts(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    source = await factory.traffic_source(signed_in.tenant, name="Old publisher")
    await _post_lead(
        browser, schedule.leads_api_key, "+18004506700", traffic_source_id=str(source.id)
    )
    archived = await browser.delete(
        f"/api/v1/traffic_sources/{source.id}", headers=signed_in.tenant.auth
    )
    assert archived.status_code in (200, 204), archived.text

    html = (await browser.get("/")).text

    assert '<td data-label="Traffic source">Old publisher</td><td data-label="Leads">1</td>' in html
    assert "no traffic source" not in html


async def test_the_dashboard_shows_only_the_users_company(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    theirs = await factory.schedule(await factory.tenant(), name="Their schedule")
    await _post_lead(browser, theirs.leads_api_key, "+18004506787")
    html = (await browser.get("/")).text
    assert '<div class="stat"><strong>0</strong> leads</div>' in html
    assert "Their schedule" not in html


async def test_blocking_a_number_ends_its_live_leads_and_unblocking_frees_it(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "wait", "days": 1}])
    lead_id = await _post_lead(browser, schedule.leads_api_key, "+18004506787")
    answer = await post_form(
        browser, "/suppression", "/suppression/block", {"number": "(800) 450-6787"}
    )
    assert answer.headers["location"] == "/suppression?done=blocked"
    async with state_of(app).sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        contact = await session.scalar(select(Contact).where(Contact.number == "+18004506787"))
    assert lead is not None
    assert lead.status == "blocked"
    assert contact is not None
    assert contact.blocked
    listed = await browser.get("/suppression")
    assert '<td data-label="Number">+18004506787</td>' in listed.text
    unblocked = await post_form(browser, "/suppression", f"/suppression/{contact.id}/unblock", {})
    assert unblocked.headers["location"] == "/suppression?done=unblocked"
    assert (
        '<td data-label="Number">+18004506787</td>' not in (await browser.get("/suppression")).text
    )


async def test_blocking_a_bad_number_says_so_next_to_the_field(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await post_form(browser, "/suppression", "/suppression/block", {"number": "12"})
    assert answer.status_code == 422
    assert 'id="err-number">is not a valid phone number' in answer.text


async def test_another_companys_contact_cannot_be_unblocked(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    theirs = await factory.schedule(await factory.tenant())
    await _post_lead(browser, theirs.leads_api_key, "+18004506787")
    await browser.post(
        "/api/v1/leads/+18004506787/caller_opt_out", params={"lead_token": theirs.leads_api_key}
    )
    async with state_of(app).sessionmaker() as session:
        contact = await session.scalar(select(Contact))
    assert contact is not None
    assert contact.opt_out
    assert "+18004506787" not in (await browser.get("/suppression")).text
    answer = await post_form(browser, "/suppression", f"/suppression/{contact.id}/unblock", {})
    assert answer.status_code == 404
