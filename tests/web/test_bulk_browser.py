"""Bulk opt-out of a filtered set, in a real browser (Debian's Chromium, headless, driven by
Playwright) against a real ``leadflow serve``: leads posted through the API under two sub IDs,
the leads list filtered by one of them, "opt out all the leads this list shows", a
confirmation that says how many leads it touches, and afterwards exactly those leads opted out
and the others untouched. Screenshots land under var/test-artifacts/web/ (``bulk-*``)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.browser import ApiServer, screenshot, show, sign_in

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow

SPRING = ("+17193132601", "+17193132602", "+17193132603")
SUMMER = ("+17193132611", "+17193132612")
LIVE = {"scheduled", "waiting"}


def _post_leads(api: httpx.Client) -> dict[str, int]:
    """A schedule that waits a day, and leads posted to it: lead id by caller ID."""
    offer = api.post("/api/v1/offers", json={"name": "Solar"})
    assert offer.status_code == 200, offer.text
    schedule = api.post(
        "/api/v1/schedules",
        json={
            "name": "Call tomorrow",
            "offer_id": offer.json()["offer"]["id"],
            "actions": [{"type": "wait", "days": 1}, {"type": "call"}],
        },
    )
    assert schedule.status_code == 200, schedule.text
    token = schedule.json()["schedule"]["leads_api_key"]
    ids = {}
    for sub_id, numbers in (("spring-sale", SPRING), ("summer-sale", SUMMER)):
        for number in numbers:
            posted = api.post(
                "/api/v1/leads",
                params={"lead_token": token, "caller_id": number, "sub_id": sub_id},
            )
            assert posted.status_code == 200, posted.text
            ids[number] = int(posted.json()["lead"]["id"])
    return ids


def _status(api: httpx.Client, lead_id: int) -> str:
    answer = api.get(f"/api/v1/leads/{lead_id}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["lead"]["status"])


def test_a_marketer_opts_out_every_lead_of_a_filtered_list_after_a_confirmation(
    chromium: Path, api_server: ApiServer
) -> None:
    base = api_server.base_url
    ids = _post_leads(api_server.api)
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        sign_in(page, base)

        page.goto(f"{base}/leads")
        page.get_by_label("Sub ID").fill("spring-sale")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/leads?*sub_id=spring-sale*")
        assert page.get_by_text("3 leads (filtered).").is_visible()
        for number in SPRING:
            assert page.get_by_role("cell", name=number).is_visible()
        for number in SUMMER:
            assert page.get_by_role("cell", name=number).count() == 0
        show(page, page.url, "bulk-01-filtered")

        page.get_by_label("All 3 leads this list shows (filtered)").check()
        page.get_by_label("Action").select_option("opt_out")
        page.get_by_role("button", name="Continue…").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Opt out: 3 leads").is_visible()
        assert page.get_by_text("Opt out touches 3 leads.").is_visible()
        screenshot(page, "bulk-02-confirm")
        # Nothing has happened before the confirmation is answered (a lead is scheduled,
        # or waiting once the worker has started its wait).
        assert {_status(api_server.api, ids[n]) for n in SPRING + SUMMER} <= LIVE

        page.get_by_role("button", name="Opt out 3 leads").click()
        page.wait_for_url("**/leads?*bulk_done=3*")
        assert page.get_by_text("Opt out: done for 3 lead(s).").is_visible()
        for number in SPRING:
            row = page.get_by_role("row").filter(has_text=number)
            assert row.get_by_role("cell", name="Opted Out").is_visible()
        show(page, page.url, "bulk-03-done")

        page.goto(f"{base}/leads?sub_id=summer-sale")
        for number in SUMMER:
            row = page.get_by_role("row").filter(has_text=number)
            assert row.get_by_role("cell", name="Opted Out").count() == 0
        browser.close()
    assert [_status(api_server.api, ids[n]) for n in SPRING] == ["opt_out"] * 3
    assert {_status(api_server.api, ids[n]) for n in SUMMER} <= LIVE
