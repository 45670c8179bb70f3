"""Every page of the web app, in a real browser (Debian's Chromium, headless) against a real
``leadflow serve``, at a phone's width (390 px) and a laptop's (1280 px): none may scroll
sideways, and each is kept as a screenshot under var/test-artifacts/web/every-page/.

The pages are read from the app's own routes, so a page added later is visited too; the rows
its path needs (a schedule, a lead, ...) are made through the public API first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from leadflow.app import create_app
from leadflow.settings import Settings
from tests.support.browser import EMAIL, LAPTOP, PASSWORD, PHONE, show, sign_in
from tests.support.cli import run_leadflow
from tests.support.server import ServerProcess
from tests.support.telephony import twilio_signature

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow

TWILIO_AUTH_TOKEN = "every-page-auth-token"


def web_pages() -> list[str]:
    """The path of every page (a GET route of the web app), with its parameters unfilled."""
    app = create_app(Settings(database_url="sqlite:///unused.db", embedded_worker=False))
    paths = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if (
            isinstance(route, APIRoute)
            and context.path is not None
            and route.endpoint.__module__.startswith("leadflow.web")
            and "GET" in route.methods
            and context.path not in ("/logout",)
            and not context.path.endswith(".csv")  # a download, not a page
        ):
            paths.add(context.path)
    return sorted(paths)


class Site:
    """A running server with a marketer and one of each row a page may need."""

    def __init__(self, process: ServerProcess, company: dict[str, Any], folder: Path) -> None:
        keys = (company["public_key"], company["private_key"])
        self.process = process
        self.company_id = str(company["id"])
        self.folder = folder
        self.base_url = process.base_url
        self.http = httpx.Client(base_url=process.base_url, auth=keys, timeout=30)
        self.leadsail = httpx.Client(
            base_url=process.base_url, headers={"X-API-Key": ".".join(keys)}, timeout=30
        )
        self.ids: dict[str, str] = {}

    def create(self, path: str, root: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(path, json=body)
        assert answer.status_code in (200, 201), f"{path}: {answer.text}"
        row: dict[str, Any] = answer.json()[root]
        return row

    def make_rows(self) -> None:
        offer = self.create("/api/v1/offers", "offer", {"name": "Auto Insurance"})
        source = self.create(
            "/api/v1/traffic_sources",
            "traffic_source",
            {"name": "Facebook Ads", "user_traffic_source_id": "fb-1"},
        )
        schedule = self.create(
            "/api/v1/schedules",
            "schedule",
            {
                "name": "Call new leads within five minutes, then text them",
                "offer_id": offer["id"],
                "actions": [
                    {"type": "wait", "minutes": 5},
                    {"type": "sms", "body": "Hi [first_name]{there}, thanks for asking!"},
                    {"type": "call"},
                    {
                        "type": "webhook",
                        "method": "POST",
                        "url": "https://example.com/a/very/long/path/that/goes/on/and/on?x=1",
                        "headers": {"X-Key": "abc"},
                    },
                ],
            },
        )
        number = self.create(
            "/api/v1/numbers", "number", {"number": "+17193132645", "capabilities": ["voice"]}
        )
        lead = self.http.post(
            "/api/v1/leads",
            params={
                "lead_token": schedule["leads_api_key"],
                "caller_id": "+18004506787",
                "email": "a.very.long.email.address.for.testing@example-company-domain.com",
                "traffic_source_id": source["id"],
                "sub_id": "creative-42-with-a-long-name",
                "first_name": "Ada",
                "comment": "x" * 120,
            },
        )
        assert lead.status_code == 200, lead.text
        other = self.http.post(
            "/api/v1/leads",
            params={"lead_token": schedule["leads_api_key"], "caller_id": "+18004506788"},
        )
        assert other.status_code == 200, other.text
        opted = self.http.post(
            "/api/v1/leads/+18004506788/caller_opt_out",
            params={"lead_token": schedule["leads_api_key"]},
        )
        assert opted.status_code == 200, opted.text
        subscription = self.create(
            "/api/v1/subscriptions",
            "subscription",
            {"target_url": "https://hooks.example.com/new-leads", "event": "new_lead"},
        )
        key = self.create(
            "/api/v1/api_keys", "api_key", {"name": "reporting", "permissions": {"*": ["read"]}}
        )
        colleague = json.loads(
            run_leadflow(
                self.process.database_url, "users", "create", "--company", self.company_id,
                "--email", "colleague@example.com", "--password", PASSWORD, "--json",
            ).stdout
        )  # fmt: skip
        campaign, submitted = self.campaign_and_submission()
        self.ids = {
            "call_id": self.inbound_call(caller="+18004506787", to=number["number"]),
            "schedule_id": str(schedule["id"]),
            "offers.ref": str(offer["id"]),
            "traffic_sources.ref": str(source["id"]),
            "numbers.ref": str(number["id"]),
            "leads.ref": str(lead.json()["lead"]["id"]),
            "campaigns.ref": campaign,
            "lead_uuid": submitted,
            "imports.ref": self.imported(schedule["leads_api_key"]),
            "subscription_id": str(subscription["id"]),
            "key_id": str(key["id"]),
            "user_id": str(colleague["id"]),
        }

    def campaign_and_submission(self) -> tuple[str, str]:
        """A LeadSail campaign (its buyer refuses every connection) and a lead submitted to it;
        the campaign has a row in each part its form edits as rows."""
        fallback = self.leadsail.post(
            "/api/v1/campaigns", json={"name": "Fallback buyer", "code": "fallback"}
        )
        assert fallback.status_code == 201, fallback.text
        state = "address.state"
        made = self.leadsail.post(
            "/api/v1/campaigns",
            json={
                "name": "Auto buyer",
                "code": "auto",
                "routingRules": [
                    {
                        "name": "West coast states with a very long rule name to wrap",
                        "targetCampaignId": "fallback",
                        "conditions": [{"field": state, "operator": "in_set", "value": ["CA"]}],
                    }
                ],
                "disqualificationRules": [
                    {
                        "name": "No license",
                        "reason": "not licensed in New York",
                        "conditions": [{"field": state, "operator": "equals", "value": "NY"}],
                    }
                ],
                "dynamicKeys": [
                    {"key": "full_name", "kind": "template", "template": "{{ firstName }}"}
                ],
                "fieldQualification": [{"field": state, "valueSet": "states"}],
                "valueSets": {"states": ["CA", "CO", "TX"]},
                "endpoint": {
                    "url": "https://buyer.invalid/leads",
                    "auth": {"kind": "static", "headers": {"Authorization": "Bearer x"}},
                    "response": {"statusPath": "$.status", "acceptedTerms": ["ok", "sold"]},
                },
            },
        )
        assert made.status_code == 201, made.text
        sent = self.leadsail.post(
            "/api/v1/leads/submit",
            json={
                "campaignId": "auto",
                "firstName": "Jane",
                "lastName": "Smith",
                "email": "jane@example.com",
                "phone": "+15559876543",
                "isTest": True,
            },
        )
        assert sent.status_code in (200, 201), sent.text
        return str(made.json()["data"]["id"]), str(sent.json()["leadId"])

    def imported(self, lead_token: str) -> str:
        """A finished CSV import, run by the CLI, which names its page."""
        csv_file = self.folder / "leads.csv"
        csv_file.write_text("Phone,first_name\n+18004506790,Grace\nnot-a-phone,Bad\n")
        done = run_leadflow(
            self.process.database_url, "leads", "import", str(csv_file),
            "--lead-token", lead_token, "--map", "Phone=caller_id",
        )  # fmt: skip
        named = re.search(r"/imports/([0-9a-f-]{36})", done.stderr)
        assert named, done.stderr
        return named.group(1)

    def inbound_call(self, caller: str, to: str) -> str:
        """A call as the provider reports one ringing in: the only way a call is made
        whatever the hour (make_call keeps to the lead's calling hours)."""
        voice = "/api/v1/telephony/twilio/voice"
        form = {"From": caller, "To": to, "CallSid": "CA-every-page", "CallStatus": "ringing"}
        signature = twilio_signature(TWILIO_AUTH_TOKEN, f"{self.base_url}{voice}", form)
        rung = self.http.post(voice, data=form, headers={"X-Twilio-Signature": signature})
        assert rung.status_code == 200, rung.text
        calls = self.http.get("/api/v1/calls")
        assert calls.status_code == 200, calls.text
        return str(calls.json()["calls"][0]["id"])

    def fill(self, path: str) -> str:
        """``/leads/{ref}`` → ``/leads/7``; a page needing a row no one made fails by name."""
        prefix = path.strip("/").split("/")[0]

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            found = self.ids.get(f"{prefix}.{name}") or self.ids.get(name)
            assert found, f"{path} needs a {name}: make one in Site.make_rows"
            return found

        return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("every-page")
    url = f"sqlite:///{folder / 'browser.db'}"
    company = json.loads(
        run_leadflow(url, "companies", "create", "--name", "Browser Co", "--json").stdout
    )
    run_leadflow(
        url, "users", "create", "--company", str(company["id"]),
        "--email", EMAIL, "--password", PASSWORD,
    )  # fmt: skip
    process = ServerProcess(url, folder, env={"LEADFLOW_TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN})
    process.start()
    try:
        made = Site(process, company, folder)
        made.make_rows()
        yield made
    finally:
        process.stop()


# A table in a scrolling box passes the page-width check yet hides its right-hand columns
# on a phone (the leads list's Status and Created did): no box may scroll sideways either.
SCROLLING_BOXES = """
[...document.querySelectorAll("body *")]
  .filter((el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX)
    && el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""))
"""

# A button squeezed onto the line of a field it submits reads as part of that field; the
# buttons sit under the fields. Reported as "form action: button text beside field name".
SQUEEZED_BUTTONS = """
[...document.querySelectorAll("form button, form input[type=submit]")].flatMap((button) => {
  const b = button.getBoundingClientRect();
  if (!b.width) return [];
  return [...button.form.querySelectorAll("input:not([type=hidden]):not([type=checkbox])"
      + ":not([type=radio]):not([type=submit]), select, textarea")]
    .filter((field) => {
      const f = field.getBoundingClientRect();
      return f.width && f.top < b.bottom - 2 && b.top < f.bottom - 2;
    })
    .map((field) => `${button.form.getAttribute("action") || "(this page)"}: `
      + `"${button.textContent.trim()}" beside ${field.name}`);
})
"""


def _name(path: str) -> str:
    return "every-page/" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "dashboard")


def test_no_page_scrolls_sideways_or_squeezes_a_button_beside_a_field_at_390_or_1280_px(
    chromium: Path, site: Site
) -> None:
    pages = web_pages()
    assert len(pages) >= 14
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        overflows: list[str] = []

        def look(url: str, name: str) -> None:
            try:
                show(page, url, name)
            except AssertionError as exc:  # every page is looked at; all overflows reported
                overflows.append(str(exc).splitlines()[0])
            for size in (PHONE, LAPTOP):
                page.set_viewport_size(size)
                page.goto(url)
                inner = page.evaluate(SCROLLING_BOXES)
                if inner:
                    overflows.append(f"{url} at {size['width']} px scrolls inside {inner}")
                squeezed = page.evaluate(SQUEEZED_BUTTONS)
                if squeezed:
                    overflows.append(f"{url} at {size['width']} px: {squeezed}")

        look(f"{site.base_url}/login", "every-page/login")
        sign_in(page, site.base_url)
        visited = []
        for path in pages:
            if path == "/login":
                continue
            url = f"{site.base_url}{site.fill(path)}"
            answer = page.goto(url)
            assert answer is not None, url
            assert answer.status == 200, url
            look(url, _name(path))
            visited.append(path)
        look(f"{site.base_url}/no-such-page", "every-page/not-found")
        look(f"{site.base_url}/leads?q=nothing-matches-this", "every-page/leads-none")
        browser.close()
    assert "/leads/{ref}" in visited
    assert not overflows, "\n".join(overflows)
