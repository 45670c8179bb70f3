"""The LeadSail half in a real browser (Debian's Chromium, headless, driven by Playwright)
against a real ``leadflow serve``: create a campaign that delivers to a buyer on loopback (a
real HTTP server), preview its payload, send it a test lead and read the request and the
buyer's answer, submit a lead through the API (``X-API-Key``) and watch it deliver on the lead
page, submit another that the buyer rejects, then repost it and watch it deliver. Every page is
shown at 390 and 1280 px (no sideways scroll) and kept as a screenshot under
var/test-artifacts/web/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.submissions.pipeline.buyer import Answer, Buyer, serve
from tests.support.browser import EMAIL, PASSWORD, screenshot, show, sign_in
from tests.support.cli import run_leadflow
from tests.support.server import ServerProcess

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.slow, pytest.mark.engines("sqlite")]

ACCEPTED = Answer(200, '{"status": "success", "leadId": "B-100"}')
# Slow enough that the lead page is seen while the pipeline still works on the lead.
SLOWLY_ACCEPTED = Answer(200, '{"status": "success", "leadId": "B-200"}', delay=3)
REJECTED = Answer(200, '{"status": "rejected", "reason": "out of area"}')
SECRET = "Bearer buyer-s3cret"


@dataclass(frozen=True)
class LeadSailServer:
    process: ServerProcess
    api_key: str

    @property
    def base_url(self) -> str:
        return self.process.base_url


@pytest.fixture
def leadsail_server(tmp_path: Path) -> Iterator[LeadSailServer]:
    """A ``leadflow serve`` with a company, its marketer and its API key; campaigns may
    deliver to this machine (the buyer is on loopback)."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    company = json.loads(
        run_leadflow(url, "companies", "create", "--name", "Buyer Co", "--json").stdout
    )
    run_leadflow(
        url, "users", "create", "--company", str(company["id"]),
        "--email", EMAIL, "--password", PASSWORD,
    )  # fmt: skip
    process = ServerProcess(url, tmp_path, env={"LEADFLOW_ALLOW_LOOPBACK_URLS": "true"})
    process.start()
    try:
        yield LeadSailServer(process, f"{company['public_key']}.{company['private_key']}")
    finally:
        process.stop()


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    with serve(Buyer()) as running:
        yield running


def _field(page: Any, name: str) -> Any:
    return page.locator(f"[id='{name}']")


def _submit(server: LeadSailServer, first: str, last: str, phone: str) -> str:
    """A lead submitted to the ``auto`` campaign through the API, as a publisher sends one."""
    answer = httpx.post(
        f"{server.base_url}/api/v1/leads/submit",
        headers={"X-API-Key": server.api_key},
        json={
            "campaignId": "auto",
            "firstName": first,
            "lastName": last,
            "email": f"{first}@example.com",
            "phone": phone,
            "address": {"street": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202"},
        },
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["leadId"])


def test_a_marketer_sets_up_a_campaign_tests_it_and_reposts_a_rejected_lead(
    chromium: Path, leadsail_server: LeadSailServer, buyer: Buyer
) -> None:
    base = leadsail_server.base_url
    # The test lead is accepted, the API's first lead accepted (slowly), its second lead
    # rejected, and that one's repost accepted.
    buy_url = buyer.on("/buy", ACCEPTED, SLOWLY_ACCEPTED, REJECTED, ACCEPTED)
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        sign_in(page, base)
        show(page, f"{base}/campaigns", "campaigns-01-empty-list")

        page.goto(f"{base}/campaigns/new")
        page.get_by_label("Name", exact=True).fill("Auto buyer")
        page.get_by_label("Code", exact=True).fill("auto")
        _field(page, "requiredFields").fill("address.state")
        _field(page, "endpoint.url").fill(buy_url)
        _field(page, "header.0.name").fill("Authorization")
        _field(page, "header.0.value").fill(SECRET)
        _field(page, "endpoint.payload").fill(
            json.dumps(
                [
                    {"clientKey": "first_name", "sourceKey": "firstName", "required": True},
                    {"clientKey": "phone", "sourceKey": "phone", "required": True},
                    {"clientKey": "state", "sourceKey": "address.state"},
                ]
            )
        )
        _field(page, "endpoint.response.statusPath").fill("$.status")
        _field(page, "endpoint.response.leadIdPath").fill("$.leadId")
        _field(page, "endpoint.response.reasonPath").fill("$.reason")
        _field(page, "caps.daily").fill("-5")
        screenshot(page, "campaigns-02-new")
        page.get_by_role("button", name="Save campaign").first.click()
        page.wait_for_load_state()
        # The API's own message, next to the field; nothing saved.
        assert page.locator("[id='err-caps.daily']").is_visible()
        screenshot(page, "campaigns-03-refused")
        _field(page, "caps.daily").fill("100")
        _field(page, "header.0.value").fill(SECRET)  # a secret is never echoed back
        page.get_by_role("button", name="Save campaign").first.click()
        page.wait_for_url("**/edit?saved=1")
        assert page.get_by_text("Campaign saved.").is_visible()
        edit_url = page.url
        assert SECRET not in page.content()
        show(page, edit_url, "campaigns-04-edit")

        page.get_by_role("button", name="Preview payload").click()
        page.wait_for_load_state()
        assert '"first_name": "Jane"' in page.locator("#payload-preview").inner_text()
        screenshot(page, "campaigns-05-preview")

        page.goto(edit_url)
        page.get_by_role("button", name="Send test lead").click()
        page.wait_for_url("**/test_leads/**")
        page.wait_for_selector("#test-status:text('delivered')")
        assert page.get_by_text("Request sent:").first.is_visible()
        assert "B-100" in page.content()
        show(page, page.url, "campaigns-06-test-lead")
        (tested,) = buyer.received("/buy")
        assert tested.headers["Authorization"] == SECRET
        assert json.loads(tested.body)["first_name"] == "Jane"

        delivered = _submit(leadsail_server, "grace", "hopper", "(719) 313-2646")
        page.goto(f"{base}/leads/{delivered}")
        assert page.get_by_text("The pipeline is still working on this lead").is_visible()
        screenshot(page, "campaigns-07-lead-delivering")
        # The page refreshes itself until the buyer has answered.
        page.wait_for_selector("#submission-1:has-text('delivered')", timeout=30_000)
        assert page.get_by_text("buyer's lead id B-200").is_visible()
        assert page.get_by_text("Request sent:").first.is_visible()
        assert SECRET not in page.content()
        show(page, page.url, "campaigns-08-lead-delivered")
        sent = buyer.received("/buy")[1]
        assert sent.headers["Authorization"] == SECRET
        assert json.loads(sent.body)["first_name"] == "Grace"

        lead_id = _submit(leadsail_server, "ada", "lovelace", "(719) 313-2645")
        show(page, f"{base}/submissions", "campaigns-09-submitted-leads")
        page.goto(f"{base}/submissions?q=lovelace")
        page.get_by_role("link", name="Ada Lovelace").click()
        page.wait_for_url(f"**/leads/{lead_id}")
        page.wait_for_selector("#submission-1:has-text('rejected')")
        assert page.get_by_text("out of area").first.is_visible()
        show(page, f"{base}/leads/{lead_id}", "campaigns-10-lead-rejected")

        page.get_by_role("button", name="Repost…").click()
        page.wait_for_load_state()
        screenshot(page, "campaigns-11-confirm-repost")
        page.get_by_role("button", name="Yes, repost it").click()
        page.wait_for_url("**?done=repost")
        page.wait_for_selector("#submission-2:has-text('delivered')")
        show(page, f"{base}/leads/{lead_id}", "campaigns-12-lead-reposted")
        assert len(buyer.received("/buy")) == 4

        show(page, f"{base}/field_library", "campaigns-13-field-library")
        browser.close()
