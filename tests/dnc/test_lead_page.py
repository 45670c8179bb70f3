"""The web lead page says where the lead stands with the do-not-call lists: which lists hold its
number, in which version and since when, whether its schedule applies each, and the exemption
or the internal list that decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from leadflow.clock import FrozenClock
from leadflow.dnc.policy import ScheduleDnc
from leadflow.dnc.registry import ListHit, ListVersion
from leadflow.dnc.standing import standing
from leadflow.settings import Settings
from tests.dnc.test_checks import LISTED, import_list
from tests.factories import Factory
from tests.web.conftest import Person, browser, person, sign_in, signed_in

__all__ = ["browser", "person", "signed_in"]

NOW = datetime(2026, 1, 5, 15, tzinfo=UTC)


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


def test_the_standing_in_one_line_each() -> None:
    federal = [ListHit("federal", 3)]
    versions = [ListVersion("federal", 3, 1, NOW, "f.dnc", True)]
    inquiry = ScheduleDnc(exempt_recent_inquiry=True)
    assert standing([], versions, ScheduleDnc(), None, None, None, NOW).listed is False
    assert standing(federal, versions, ScheduleDnc(), None, None, None, NOW).blocks
    exempt = standing(federal, versions, inquiry, None, NOW - timedelta(days=89), None, NOW)
    assert (exempt.blocks, exempt.exemption) == (False, "inquiry under 90 days old")
    off = standing(federal, versions, ScheduleDnc(lists={"federal": False}), None, None, None, NOW)
    assert (off.blocks, off.lists[0].applies, off.exemption) == (False, False, None)
    internal = standing([], versions, inquiry, "opted out", NOW, None, NOW)
    assert internal.blocks


async def post_lead(browser: httpx.AsyncClient, token: str, caller: str, **data: str) -> int:
    answer = await browser.post(
        "/api/v1/leads", params={"lead_token": token, "caller_id": caller, **data}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["lead"]["id"])


def row(name: str, version: str, imported: str, applies: str) -> str:
    return (
        f'<tr><td data-label="List">{name}</td><td data-label="Version">{version}</td>'
        f'<td data-label="Imported">{imported}</td><td data-label="Applies here">{applies}</td>'
        "</tr>"
    )


async def test_the_page_names_each_list_its_version_and_the_exemption_that_applied(
    app: FastAPI,
    browser: httpx.AsyncClient,
    signed_in: Person,
    factory: Factory,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    clock.advance(hours=1)
    await import_list(app, clock, dnc_dir, "litigator", LISTED)
    await import_list(app, clock, dnc_dir, "litigator", LISTED, "+13105550000")
    schedule = await factory.schedule(
        signed_in.tenant,
        dnc_settings={"lists": {"litigator": False}, "exempt_recent_inquiry": True},
    )
    lead_id = await post_lead(browser, schedule.leads_api_key, LISTED)
    page = (await browser.get(f"/leads/{lead_id}")).text
    assert "On a list its schedule applies, but exempt (inquiry under 90 days old)" in page
    assert row("federal", "1", "2026-01-05 10:00:00 EST", "Yes") in page
    assert row("litigator", "2", "2026-01-05 11:00:00 EST", "No (turned off in the schedule)") in (
        page
    )
    assert "Exemption: inquiry under 90 days old." in page
    clock.advance(days=91)
    assert (await sign_in(browser, signed_in)).status_code == 303  # the session has expired
    page = (await browser.get(f"/leads/{lead_id}")).text
    assert "On a list its schedule applies: not contacted." in page
    assert "Exemption:" not in page


async def test_the_page_shows_written_consent_and_the_internal_list(
    app: FastAPI,
    browser: httpx.AsyncClient,
    signed_in: Person,
    factory: Factory,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "litigator", LISTED)
    schedule = await factory.schedule(
        signed_in.tenant, dnc_settings={"exempt_written_consent": True}
    )
    consent = {"tcpa_consent": "true", "tcpa_consent_timestamp": "2025-12-01T00:00:00Z"}
    lead_id = await post_lead(browser, schedule.leads_api_key, LISTED, **consent)
    page = (await browser.get(f"/leads/{lead_id}")).text
    assert "but exempt (written consent): contacted." in page
    tenant = signed_in.tenant
    added = await browser.post(f"/api/v1/dnc/internal/{LISTED}", headers=tenant.auth)
    assert added.status_code == 200, added.text
    page = (await browser.get(f"/leads/{lead_id}")).text
    assert "On the company&#39;s own do-not-call list (marked do-not-call)" in page
    assert row("internal", "—", "—", "Always (marked do-not-call)") in page
    assert "Exemption:" not in page
    clear = await post_lead(browser, schedule.leads_api_key, "+13125550199")
    page = (await browser.get(f"/leads/{clear}")).text
    assert "On no do-not-call list: may be contacted." in page
