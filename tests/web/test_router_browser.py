"""A router built in a real browser (Debian's Chromium, headless, driven by Playwright)
against a real ``leadflow serve``: a schedule turned into a router, two distributions whose
conditions are typed as field, operator and value (the API's own message shown next to a
value that does not fit its operator), priority, weight and target; then leads posted through
the API with the router's token, and on the lead's page the schedule its data picked.
Screenshots land under var/test-artifacts/web/ (``router-*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import LAPTOP, PHONE, ApiServer, screenshot, show, sign_in
from tests.web.test_every_page_browser import SCROLLING_BOXES, SQUEEZED_BUTTONS

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow


def _made(answer: httpx.Response, root: str) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    row: dict[str, Any] = answer.json()[root]
    return row


def _field(page: Any, name: str) -> Any:
    return page.locator(f"[id='{name}']")


def _click(page: Any, button: str) -> None:
    """Press one of the editor's buttons: the page comes back with the change, unsaved."""
    page.get_by_role("button", name=button, exact=True).first.click()
    page.wait_for_load_state()


def test_a_marketer_builds_a_router_and_sees_a_posted_lead_routed_by_its_data(
    chromium: Path, api_server: ApiServer
) -> None:
    base, api = api_server.base_url, api_server.api
    offer = _made(api.post("/api/v1/offers", json={"name": "Mortgages"}), "offer")
    targets = {}
    for name in ("Colorado callers", "Spring sale callers"):
        body = {"name": name, "offer_id": offer["id"], "actions": [{"type": "wait", "days": 1}]}
        targets[name] = _made(api.post("/api/v1/schedules", json=body), "schedule")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        sign_in(page, base)

        page.goto(f"{base}/schedules/new")
        page.get_by_label("Name").fill("Mortgage router")
        page.get_by_label("Offer").select_option(label="Mortgages")
        page.get_by_role("button", name="Create schedule").click()
        page.wait_for_url("**/edit")
        page.get_by_label("Type").select_option("lead_distribution")
        page.get_by_role("button", name="Save schedule").first.click()
        page.wait_for_url("**/edit?saved=1")
        router_id = page.url.split("/")[-2]
        page.get_by_role("link", name="Distributions").click()
        page.wait_for_url(f"**/schedules/{router_id}/distributions")
        assert page.get_by_text("No distributions yet").is_visible()
        show(page, page.url, "router-01-empty")

        _click(page, "Add a distribution")
        _field(page, "d0.name").fill("Colorado")
        _field(page, "d0.target_schedule_id").select_option(label="Colorado callers")
        _field(page, "d0.c0.field").fill("state")
        _field(page, "d0.c0.operator").select_option("equals")
        _field(page, "d0.c0.value").fill("CO")

        _click(page, "Add a distribution")
        _field(page, "d1.name").fill("Spring sale")
        _field(page, "d1.target_schedule_id").select_option(label="Spring sale callers")
        _field(page, "d1.priority").fill("1")
        _field(page, "d1.weight").fill("3")
        _field(page, "d1.c0.field").fill("sub_id")
        _field(page, "d1.c0.operator").select_option("in")  # "is one of", value left empty
        _click(page, "Add a condition to distribution 2")
        assert _field(page, "d0.c0.value").input_value() == "CO"  # kept across the round trip
        _field(page, "d1.c1.field").fill("loan_amount")
        _field(page, "d1.c1.operator").select_option("greater_than")
        _field(page, "d1.c1.value").fill("5000")
        _click(page, "Save distributions")
        # The API's own rule, next to the value it is about; nothing saved.
        error = page.locator("[id='err-d1.c0.value']")
        assert "in needs a non-empty list of values" in error.inner_text()
        screenshot(page, "router-02-refused")
        assert api.get(f"/api/v1/schedules/{router_id}/distributions").json()["distributions"] == []

        _field(page, "d1.c0.value").fill("spring-a, spring-b")
        _click(page, "Save distributions")
        page.wait_for_url("**/distributions?saved=1")
        assert page.get_by_text("Distributions saved.").is_visible()
        show(page, page.url, "router-03-saved")
        for size in (PHONE, LAPTOP):  # the every-page test sees this page for a non-router
            page.set_viewport_size(size)
            assert page.evaluate(SQUEEZED_BUTTONS) == [], size
            assert page.evaluate(SCROLLING_BOXES) == [], size
        saved = api.get(f"/api/v1/schedules/{router_id}/distributions").json()["distributions"]
        by_name = {d["name"]: d for d in saved}
        assert by_name["Spring sale"]["target_schedule_id"] == targets["Spring sale callers"]["id"]
        assert (by_name["Spring sale"]["priority"], by_name["Spring sale"]["weight"]) == (1, 3)
        assert by_name["Spring sale"]["conditions"] == [
            {"field": "sub_id", "operator": "in", "value": ["spring-a", "spring-b"]},
            {"field": "loan_amount", "operator": "greater_than", "value": "5000"},
        ]

        page.get_by_role("link", name="API Token & Examples").click()
        token = page.get_by_label("This schedule's lead token").input_value()
        posted = httpx.post(
            f"{base}/api/v1/leads",
            params={
                "lead_token": token,
                "caller_id": "+17193132645",
                "sub_id": "spring-b",
                "state": "TX",
                "loan_amount": "7500",
                "first_name": "Ada",
            },
            timeout=30,
        )
        lead = _made(posted, "lead")
        assert lead["schedule_id"] == targets["Spring sale callers"]["id"]
        nobody = httpx.post(
            f"{base}/api/v1/leads",
            params={"lead_token": token, "caller_id": "+17193132646", "state": "TX"},
            timeout=30,
        )
        assert nobody.status_code == 422, nobody.text

        page.goto(f"{base}/leads/{lead['id']}")
        schedule = page.locator("dt:text-is('Schedule') + dd")
        assert schedule.inner_text() == "Spring sale callers"
        assert page.locator(".timeline").get_by_text("routed").is_visible()
        show(page, page.url, "router-04-lead-routed")
        browser.close()
