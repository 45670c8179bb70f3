"""Settings pages: the company, API keys and users, with the API's own rules next to each
field and a confirmation before anything destructive."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from leadflow.models import Company
from tests.factories import Factory
from tests.web.conftest import Person, post_form


async def _company(app: FastAPI, company_id: int) -> Company:
    async with app.state.sessionmaker() as session:
        company = await session.get(Company, company_id)
    assert company is not None
    return company


async def test_the_company_time_zone_and_budget_are_saved_and_times_follow_the_zone(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/company"
    form = await browser.get(url)
    assert 'value="America/New_York"' in form.text
    saved = await post_form(
        browser, url, url, {"time_zone": "Europe/Berlin", "calls_per_second": "3"}
    )
    assert saved.headers["location"] == "/settings/company?done=saved"
    company = await _company(app, signed_in.tenant.company.id)
    assert (company.time_zone, company.calls_per_second) == ("Europe/Berlin", 3)
    shown = await browser.get(saved.headers["location"])
    assert "saved" in shown.text
    assert "Times are shown in Europe/Berlin." in shown.text


async def test_a_bad_zone_and_budget_are_refused_next_to_their_fields(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/company"
    refused = await post_form(
        browser, url, url, {"time_zone": "Mars/Base", "calls_per_second": "0"}
    )
    assert refused.status_code == 422
    assert 'id="err-time_zone">must be an IANA time zone' in refused.text
    assert 'id="err-calls_per_second">Input should be greater than or equal to 1' in refused.text
    assert 'value="Mars/Base"' in refused.text
    company = await _company(app, signed_in.tenant.company.id)
    assert (company.time_zone, company.calls_per_second) == ("America/New_York", 10)


async def test_the_caller_id_shown_is_a_voice_number_of_the_company(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    without = await browser.get("/settings/company")
    assert "You have no voice number" in without.text
    await factory.number(signed_in.tenant, "+17193132645")
    assert "+17193132645" in (await browser.get("/settings/company")).text
