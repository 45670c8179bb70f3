"""The do-not-call page: lists with versions and ages, an upload that makes a new version,
and the dashboard's warning when the federal list is older than 31 days."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Schedule
from leadflow.settings import Settings
from tests.dnc.test_checks import import_list
from tests.factories import Factory
from tests.web.conftest import Person, browser, csrf_of, person, sign_in, signed_in
from tests.web.test_schedules_pages import edit_form

__all__ = ["browser", "person", "signed_in"]


@pytest.fixture
def settings(database_url: str, dnc_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        dnc_dir=dnc_dir,
        dnc_refresh_seconds=0,
    )


async def test_uploading_a_list_on_the_page_shows_its_version_and_rejects(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    opened = await browser.get("/dnc")
    assert opened.status_code == 200
    assert "No list has been imported yet." in opened.text
    answer = await browser.post(
        "/dnc",
        data={"csrf_token": csrf_of(opened.text), "list": "state:tx", "change": "none"},
        files={"file": ("tx.txt", b"5125550100\n5125550101\nnot a number\n", "text/plain")},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/dnc?done=1"
    shown = await browser.get("/dnc?done=1")
    assert "Imported as version 1." in shown.text
    assert '<td data-label="List">state:TX</td>' in shown.text
    assert '<td data-label="Numbers">2</td>' in shown.text
    assert '<td data-label="Source">tx.txt</td>' in shown.text


async def test_an_unknown_list_name_is_refused_on_the_form(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    opened = await browser.get("/dnc")
    answer = await browser.post(
        "/dnc",
        data={"csrf_token": csrf_of(opened.text), "list": "wireless"},
        files={"file": ("w.txt", b"5125550100\n", "text/plain")},
    )
    assert answer.status_code == 422
    assert "is not a list" in answer.text


async def test_the_dashboard_warns_when_the_federal_list_is_stale(
    app: FastAPI,
    browser: httpx.AsyncClient,
    signed_in: Person,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    assert "do-not-call" not in (await browser.get("/")).text
    await import_list(app, clock, dnc_dir, "federal", "+12125550123")
    assert "the federal do-not-call list is" not in (await browser.get("/")).text
    clock.advance(days=32)
    assert (await sign_in(browser, signed_in)).status_code == 303  # the session has expired
    dashboard = await browser.get("/")
    assert "the federal do-not-call list is 32 days old (over 31)" in dashboard.text
    lists = await browser.get("/dnc")
    assert '<td data-label="Age (days)">32</td>' in lists.text


async def test_the_schedule_form_turns_lists_off_and_exemptions_on(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, dnc_settings={"lists": {"state:TX": False}})
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    assert 'name="dnc_settings.lists.federal" type="checkbox" checked' in page.text
    form = edit_form(page.text, op="save")
    del form["dnc_settings.lists.federal"]
    form["dnc_settings.exempt_written_consent"] = "on"
    saved = await browser.post(url, data=form)
    assert saved.status_code == 303, saved.text
    async with state_of(app).sessionmaker() as session:
        stored = await session.get(Schedule, schedule.id)
        assert stored is not None
    assert stored.dnc_settings == {
        "lists": {"state:TX": False, "federal": False, "state": True, "litigator": True},
        "exempt_recent_inquiry": False,
        "recent_inquiry_days": 90,
        "exempt_written_consent": True,
    }
    refused = await browser.post(url, data={**form, "dnc_settings.recent_inquiry_days": "9000"})
    assert refused.status_code == 422
    assert 'id="err-dnc_settings.recent_inquiry_days"' in refused.text
