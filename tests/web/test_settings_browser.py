"""The settings and calls pages in a real browser (Debian's Chromium through Playwright)
against a real ``leadflow serve``: set the company's zone, create an API key and use it with
curl, add a user, and see every page at a phone's and a laptop's width without sideways
scrolling. Screenshots land under var/test-artifacts/web/ (``settings-*``, ``calls-*``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from leadflow.models import Call
from tests.support.browser import PHONE, BrowserServer, screenshot, show, sign_in

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow


def _seed_call(server: BrowserServer) -> int:
    """A completed, paid call with a recording, written straight to the server's database."""
    engine = create_engine(server.database_url)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session:
            call = Call(
                company_id=server.company_id,
                to_number="+17193132645",
                from_number="+18005550100",
                status="completed",
                duration=95,
                revenue_cents=1250,
                payout_cents=425,
                post_call_tokens={"recording_url": "https://rec.example.com/1.mp3"},
                created_at=now,
                updated_at=now,
            )
            session.add(call)
            session.commit()
            return call.id
    finally:
        engine.dispose()


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    curl = shutil.which("curl")
    assert curl, "curl is needed to use the key from outside the browser"
    return subprocess.run(
        [curl, "-sS", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


def test_a_marketer_creates_an_api_key_and_uses_it_with_curl(
    chromium: Path, browser_server: BrowserServer
) -> None:
    base = browser_server.base_url
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base)

        page.goto(f"{base}/settings/company")
        page.get_by_label("Time zone").fill("Europe/Berlin")
        page.get_by_label("Calls per second").fill("5")
        page.get_by_role("button", name="Save company settings").click()
        page.wait_for_url("**/settings/company?done=saved")
        assert page.get_by_text("Times are shown in Europe/Berlin.").is_visible()
        show(page, f"{base}/settings/company", "settings-company")

        page.goto(f"{base}/settings/api_keys")
        page.get_by_label("Name", exact=True).fill("CRM sync")
        page.get_by_label("Every resource: read").uncheck()
        page.get_by_label("offers: read").check()
        page.get_by_label("offers: write").check()
        page.get_by_label("IP allowlist").fill("127.0.0.1")
        page.set_viewport_size(PHONE)
        page.get_by_role("button", name="Create API key").click()
        # The answer comes at the same URL: wait for it, not for a navigation.
        page.get_by_text("Copy the private key now.").wait_for(state="visible")
        assert page.get_by_text("Copy the private key now.").is_visible()
        public_key = page.locator("#public-key").inner_text().strip()
        private_key = page.locator("#private-key").inner_text().strip()
        # The page that shows the private key is the POST's answer: it cannot be opened again.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "settings-api-key-created-390")

        created = _curl(
            "-u", f"{public_key}:{private_key}",
            "-H", "Content-Type: application/json",
            "-d", json.dumps({"name": "Made with curl"}),
            f"{base}/api/v1/offers",
        )  # fmt: skip
        body, status = created.stdout.rsplit("\n", 1)
        assert status == "200", body
        assert json.loads(body)["offer"]["name"] == "Made with curl"
        forbidden = _curl("-u", f"{public_key}:{private_key}", f"{base}/api/v1/leads")
        assert forbidden.stdout.rsplit("\n", 1)[1] == "403"

        page.goto(f"{base}/offers")
        assert page.get_by_role("cell", name="Made with curl").is_visible()

        show(page, f"{base}/settings/api_keys", "settings-api-keys")
        page.get_by_role("link", name="Revoke CRM sync").click()
        show(page, page.url, "settings-api-key-revoke")
        page.get_by_role("button", name="Revoke CRM sync").click()
        page.wait_for_url("**/settings/api_keys?done=revoked")
        revoked = _curl("-u", f"{public_key}:{private_key}", f"{base}/api/v1/offers")
        assert revoked.stdout.rsplit("\n", 1)[1] == "401"

        page.goto(f"{base}/settings/users")
        page.get_by_label("E-mail").fill("colleague@example.com")
        page.get_by_role("button", name="Add user").click()
        assert page.locator("#new-password").inner_text().strip()
        show(page, f"{base}/settings/users", "settings-users")
        page.get_by_role("link", name="Reset password of colleague@example.com").click()
        show(page, page.url, "settings-user-reset-password")
        page.goto(f"{base}/settings/users")
        page.get_by_role("link", name="Remove colleague@example.com").click()
        show(page, page.url, "settings-user-remove")
        page.get_by_role("button", name="Remove colleague@example.com").click()
        page.wait_for_url("**/settings/users?done=removed")

        page.goto(f"{base}/settings/webhooks")
        page.get_by_label("Target URL").fill("https://hooks.example.com/leadflow")
        page.get_by_label("Event").select_option("lead_converted")
        page.get_by_label("Sub ID").fill("spring")
        page.get_by_role("button", name="Create subscription").click()
        assert page.locator("#signing-secret").inner_text().startswith("whsec_")
        page.get_by_role("link", name="Open the subscription").click()
        page.get_by_role("button", name="Send a test delivery").click()
        page.wait_for_url("**?done=tested")
        show(page, page.url, "settings-webhook-edit")
        show(page, f"{base}/settings/webhooks", "settings-webhooks")

        call_id = _seed_call(browser_server)
        show(page, f"{base}/calls", "calls-log")
        assert page.get_by_role("cell", name="$12.50").is_visible()
        page.get_by_role("link", name=f"Call {call_id}", exact=True).click()
        page.get_by_label("Revenue (dollars)").fill("20")
        page.get_by_label("Converted for the buyer").check()
        page.get_by_role("button", name="Save call").click()
        page.wait_for_url(f"**/calls/{call_id}?done=saved")
        assert page.get_by_text("$15.75").is_visible()
        show(page, page.url, "calls-call")
        browser.close()
