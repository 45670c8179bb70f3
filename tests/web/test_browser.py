"""The whole path a marketer takes, in a real browser (Debian's Chromium, headless, driven by
Playwright) against a real ``leadflow serve`` process on SQLite: sign in, create an offer and a
schedule with three actions, open API Token & Examples, copy the curl sample, run it, and find
the lead and its timeline. Each page is saved as a screenshot under var/test-artifacts/web/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.browser import (
    ARTIFACTS,
    EMAIL,
    PASSWORD,
    BrowserServer,
    screenshot,
    show,
)

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow


def test_a_marketer_sets_up_a_schedule_and_sees_a_curl_lead_arrive(
    chromium: Path, browser_server: BrowserServer
) -> None:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    base = browser_server.base_url
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.set_default_timeout(15_000)

        page.goto(f"{base}/schedules")
        assert page.url.startswith(f"{base}/login")
        screenshot(page, "01-login")
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/schedules")
        cookie = next(c for c in context.cookies() if c["name"] == "leadflow_session")
        assert cookie["httpOnly"]
        assert cookie["secure"]
        assert cookie["sameSite"] == "Lax"

        page.goto(f"{base}/offers/new")
        page.get_by_label("Name").fill("Auto Insurance")
        screenshot(page, "02-new-offer")
        page.get_by_role("button", name="Save offer").click()
        page.wait_for_url(f"{base}/offers")
        assert page.get_by_role("cell", name="Auto Insurance").is_visible()
        screenshot(page, "03-offers")

        page.goto(f"{base}/schedules/new")
        page.get_by_label("Name").fill("Call new leads")
        page.get_by_label("Offer").select_option(label="Auto Insurance")
        screenshot(page, "04-new-schedule")
        page.get_by_role("button", name="Create schedule").click()
        page.wait_for_url("**/edit")
        for kind in ("wait", "sms", "call"):
            page.get_by_label("Add an action").select_option(kind)
            page.get_by_role("button", name="Add action").click()
            page.wait_for_load_state()
        page.locator("[id='a0.minutes']").fill("5")
        page.locator("[id='a1.body']").fill("Hi [first_name]{there}, thanks for your interest!")
        page.get_by_role("button", name="Save schedule").first.click()
        page.wait_for_url("**/edit?saved=1")
        edit_path = urlparse(page.url).path
        assert page.get_by_text("Schedule saved.").is_visible()
        assert page.get_by_text("Action 3: Call the lead").is_visible()
        screenshot(page, "05-schedule-edit")

        page.get_by_role("link", name="API Token & Examples").click()
        page.wait_for_url("**/submit_leads_help")
        assert page.get_by_text("Treat the API token like a password.").is_visible()
        token = page.get_by_label("This schedule's lead token").input_value()
        screenshot(page, "06-api-token-and-examples")
        panel = page.locator("#panel-curl")
        panel.get_by_role("button", name="Copy").first.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(f'curl -X POST "{base}/api/v1/leads?lead_token={token}')
        ran = subprocess.run(
            ["bash", "-c", copied + " --silent --show-error"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        lead = json.loads(ran.stdout)["lead"]
        assert lead["caller_id"] == "+18004506787"
        for tab in ("PHP", "Instapage", "Javascript"):
            page.get_by_role("tab", name=tab).click()
            assert page.locator(f"#panel-{tab.lower()}").is_visible()

        page.get_by_role("link", name="Leads", exact=True).click()
        page.wait_for_url(f"{base}/leads")
        page.get_by_label("Search by phone, e-mail or any token").fill("kittens")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/leads?q=kittens&*")
        screenshot(page, "07-leads")
        page.get_by_role("link", name=f"#{lead['id']}").click()
        page.wait_for_url(f"{base}/leads/{lead['id']}")
        assert page.get_by_role("cell", name="kittens").is_visible()
        assert page.locator(".timeline").get_by_text("created").first.is_visible()
        screenshot(page, "08-lead")

        schedule_id = edit_path.split("/")[2]
        for path, name in (
            ("/", "09-dashboard"),
            ("/schedules", "10-schedules"),
            (edit_path, "11-schedule-edit"),
            (f"/schedules/{schedule_id}/submit_leads_help", "12-api-token"),
            ("/leads", "13-leads"),
            (f"/leads/{lead['id']}", "14-lead"),
            ("/suppression", "15-suppression"),
        ):
            show(page, f"{base}{path}", name)
        browser.close()
