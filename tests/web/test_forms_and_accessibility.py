"""Every form refuses a missing or wrong CSRF token; every page passes an accessibility smoke
check (labelled inputs, headings in order, one h1, a phone-width viewport). The routes are read
from the app itself, so a page or form added later is checked too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import httpx
import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import ApiKey, Call, Contact, Schedule, User
from tests.factories import Factory, Tenant
from tests.web.conftest import Person, csrf_of


@dataclass
class Rows:
    ids: dict[str, str]

    def fill(self, path: str) -> str:
        """``/leads/{ref}/{operation}`` → ``/leads/7/opt_out``."""
        prefix = path.strip("/").split("/")[0]

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            return self.ids.get(f"{prefix}.{name}") or self.ids[name]

        return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


@pytest.fixture
async def rows(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> Rows:
    tenant = signed_in.tenant
    offer = await factory.offer(tenant)
    schedule = await factory.schedule(tenant, offer, actions=[{"type": "wait", "days": 1}])
    source = await factory.traffic_source(tenant)
    number = await factory.number(tenant, "+17193132645")
    posted = await browser.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787", "a": "b"},
    )
    lead_id = posted.json()["lead"]["id"]
    await browser.post(
        "/api/v1/leads/+18004506787/caller_opt_out", params={"lead_token": schedule.leads_api_key}
    )
    async with state_of(app).sessionmaker() as session:
        contact = await session.scalar(select(Contact))
    assert contact is not None
    uploaded = await browser.post(
        "/imports",
        data={"csrf_token": csrf_of((await browser.get("/imports")).text)},
        files={"file": ("leads.csv", b"caller_id\n+18004506787\n", "text/csv")},
    )
    async with state_of(app).sessionmaker() as session:
        key_id = await session.scalar(select(ApiKey.id))
        user_id = await session.scalar(select(User.id))
        now = factory.clock.now()
        call = Call(
            company_id=tenant.company.id,
            to_number="+18004506787",
            status="completed",
            created_at=now,
            updated_at=now,
        )
        session.add(call)
        await session.commit()
    hook = await browser.post(
        "/api/v1/subscriptions",
        json={"target_url": "https://hooks.example.com/x", "event": "new_lead"},
        headers=tenant.auth,
    )
    campaign, submitted_id = await _campaign_and_submitted_lead(browser, tenant)
    return Rows(
        {
            "schedule_id": str(schedule.id),
            "leads.ref": str(lead_id),
            "offers.ref": str(offer.id),
            "traffic_sources.ref": str(source.id),
            "numbers.ref": str(number.id),
            "operation": "opt_out",
            "contact_id": str(contact.id),
            "imports.ref": uploaded.headers["location"].rsplit("/", 1)[-1],
            "key_id": str(key_id),
            "user_id": str(user_id),
            "subscription_id": str(hook.json()["subscription"]["id"]),
            "delivery_id": "1",
            "call_id": str(call.id),
            "campaigns.ref": campaign,
            "lead_uuid": submitted_id,
        }
    )


# A campaign with a row in every part the campaign form edits as rows, so its page is checked
# with them.
CAMPAIGN_WITH_ROWS = {
    "name": "Buyer",
    "code": "buyer",
    "routingRules": [
        {
            "name": "West",
            "targetCampaignId": "other",
            "conditions": [{"field": "address.state", "operator": "in_set", "value": ["CA"]}],
        }
    ],
    "disqualificationRules": [
        {
            "name": "NY",
            "conditions": [{"field": "address.state", "operator": "equals", "value": "NY"}],
        }
    ],
    "dynamicKeys": [
        {"key": "tier", "kind": "lookup", "source": "address.state", "table": {"CA": 1}}
    ],
    "fieldQualification": [{"field": "address.state", "valueSet": "states"}],
    "valueSets": {"states": ["CA", "CO"]},
    "endpoint": {
        "url": "https://buyer.example.com/leads",
        "auth": {"kind": "static", "headers": {"Authorization": "Bearer x"}},
        "response": {"statusPath": "$.status", "acceptedTerms": ["ok"]},
    },
}


async def _campaign_and_submitted_lead(
    client: httpx.AsyncClient, tenant: Tenant
) -> tuple[str, str]:
    """A campaign and a lead submitted to it, for the LeadSail pages."""
    key = {"X-API-Key": f"{tenant.public_key}.{tenant.private_key}"}
    other = await client.post(
        "/api/v1/campaigns", json={"name": "Other buyer", "code": "other"}, headers=key
    )
    assert other.status_code == 201, other.text
    created = await client.post("/api/v1/campaigns", json=CAMPAIGN_WITH_ROWS, headers=key)
    assert created.status_code == 201, created.text
    lead = {
        "campaignId": "buyer", "firstName": "Ada", "lastName": "Lovelace",
        "email": "ada@example.com", "phone": "+17193132645",
        "address": {"street": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202"},
    }  # fmt: skip
    submitted = await client.post("/api/v1/leads/submit", json=lead, headers=key)
    assert submitted.status_code == 200, submitted.text
    return str(created.json()["data"]["id"]), str(submitted.json()["leadId"])


def _web_routes(app: FastAPI, method: str) -> list[str]:
    paths = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if (
            isinstance(route, APIRoute)
            and context.path is not None
            and route.endpoint.__module__.startswith("leadflow.web")
            and method in route.methods
        ):
            paths.add(context.path)
    return sorted(paths)


async def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    app: FastAPI, browser: httpx.AsyncClient, rows: Rows
) -> None:
    paths = _web_routes(app, "POST")
    assert len(paths) >= 10
    for path in paths:
        url = rows.fill(path)
        missing = await browser.post(url, data={"name": "x", "number": "+17193132699"})
        wrong = await browser.post(url, data={"csrf_token": "forged", "name": "x"})
        assert (missing.status_code, wrong.status_code) == (403, 403), url
        assert "Form expired" in wrong.text


async def test_a_refused_form_changes_nothing(
    app: FastAPI, browser: httpx.AsyncClient, rows: Rows
) -> None:
    schedule_id = int(rows.ids["schedule_id"])
    async with state_of(app).sessionmaker() as session:
        before = (await session.get(Schedule, schedule_id)).leads_api_key  # type: ignore[union-attr]
    await browser.post(f"/schedules/{schedule_id}/regenerate_token", data={"csrf_token": "x"})
    async with state_of(app).sessionmaker() as session:
        after = (await session.get(Schedule, schedule_id)).leads_api_key  # type: ignore[union-attr]
    assert after == before


async def test_the_login_form_itself_needs_its_csrf_token(
    browser: httpx.AsyncClient, person: Person
) -> None:
    answer = await browser.post("/login", data={"email": person.email, "password": "x"})
    assert answer.status_code == 403


def _accessibility_problems(html: str) -> list[str]:
    doc = lxml.html.fromstring(html)
    problems = []
    if doc.get("lang") is None:
        problems.append("no lang on <html>")
    viewport = doc.xpath('//meta[@name="viewport"]/@content')
    if not viewport or "width=device-width" not in viewport[0]:
        problems.append("no viewport meta for phone widths")
    labelled = set(doc.xpath("//label/@for"))
    for field in doc.xpath("//input | //select | //textarea"):
        if field.get("type") in ("hidden", "submit", "button"):
            continue
        inside_label = any(parent.tag == "label" for parent in field.iterancestors())
        if not (field.get("id") in labelled or inside_label or field.get("aria-label")):
            problems.append(f"{field.tag} {field.get('name')!r} has no label")
    for button in doc.xpath("//button"):
        if not button.text_content().strip():
            problems.append("a button without text")
    levels = [int(h.tag[1]) for h in doc.xpath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6")]
    if levels.count(1) != 1 or not levels or levels[0] != 1:
        problems.append(f"headings must start with one h1: {levels}")
    for previous, current in pairwise(levels):
        if current > previous + 1:
            problems.append(f"heading h{current} follows h{previous}")
    return problems


async def test_every_page_passes_the_accessibility_smoke_check(
    app: FastAPI, browser: httpx.AsyncClient, rows: Rows
) -> None:
    paths = _web_routes(app, "GET")
    assert len(paths) >= 12
    for path in paths:
        url = rows.fill(path)
        answer = await browser.get(url)
        assert answer.status_code == 200, url
        if answer.headers["content-type"].startswith("text/csv"):
            continue  # a download, not a page
        assert _accessibility_problems(answer.text) == [], url
    invalid = await browser.post(
        f"/schedules/{rows.ids['schedule_id']}/edit",
        data={"csrf_token": csrf_of((await browser.get("/")).text), "name": ""},
    )
    assert invalid.status_code == 422
    assert _accessibility_problems(invalid.text) == []
    edit = rows.fill("/campaigns/{ref}/edit")
    refused = await browser.post(
        edit,
        data={
            "csrf_token": csrf_of((await browser.get(edit)).text),
            "name": "Buyer",
            "code": "buyer",
            "routingRules.count": "1",
            "routingRules.0.name": "No target",
            "routingRules.0.condition_count": "1",
            "routingRules.0.c0.value": "no field",
        },
    )
    assert refused.status_code == 422
    assert 'id="err-routingRules.0.c0.field"' in refused.text
    assert _accessibility_problems(refused.text) == []


async def test_the_login_page_passes_the_accessibility_smoke_check(
    browser: httpx.AsyncClient,
) -> None:
    assert _accessibility_problems((await browser.get("/login")).text) == []


def test_the_smoke_check_finds_an_unlabelled_input_and_a_skipped_heading_level() -> None:
    html = (
        '<html lang="en"><head><meta name="viewport" content="width=device-width"></head>'
        '<body><h1>A</h1><h3>B</h3><input name="q"></body></html>'
    )
    assert _accessibility_problems(html) == [
        "input 'q' has no label",
        "heading h3 follows h1",
    ]
