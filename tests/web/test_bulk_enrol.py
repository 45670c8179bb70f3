"""The leads list's bulk "enrol in a schedule": the filtered or ticked leads join a schedule
the way a post of ``PUT /api/v1/leads`` with its lead token would, behind the confirmation
page; suppressed numbers and callers already in the schedule are skipped and counted."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Lead, LeadEvent
from leadflow.models.schedule import LEAD_DISTRIBUTION
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, post_form


async def _post_lead(client: httpx.AsyncClient, token: str, caller: str, **data: str) -> int:
    answer = await client.post(
        "/api/v1/leads", params={"lead_token": token, "caller_id": caller, **data}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["lead"]["id"])


async def _leads_of(app: FastAPI, schedule_id: int) -> list[Lead]:
    async with state_of(app).sessionmaker() as session:
        found = await session.scalars(
            select(Lead).where(Lead.schedule_id == schedule_id).order_by(Lead.id)
        )
        return list(found)


async def _confirm(browser: httpx.AsyncClient, listed: str, form: dict[str, str]) -> str:
    """Ask, confirm, and return the list page the finished action lands on."""
    asked = await post_form(browser, listed, "/leads/bulk", form)
    assert asked.status_code == 200, asked.text
    done = await browser.post(
        "/leads/bulk", data={**form, "confirm": "yes", "csrf_token": csrf_of(asked.text)}
    )
    assert done.status_code == 303, done.text
    return (await browser.get(done.headers["location"])).text


async def test_enrolling_the_filtered_leads_starts_the_schedule_for_each(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    source = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    other = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    nurture = await factory.schedule(tenant, name="Nurture", actions=[{"type": "wait", "days": 2}])
    callers = [f"+1800450{6700 + n}" for n in range(3)]
    for caller in callers:
        await _post_lead(browser, source.leads_api_key, caller, pet="kittens", sub_id="s1")
    await _post_lead(browser, other.leads_api_key, "+18004506799")
    listed = f"/leads?schedule_id={source.id}"
    form = {
        "operation": "enrol",
        "scope": "filtered",
        "schedule_id": str(source.id),
        "enrol_schedule_id": str(nurture.id),
    }
    asked = await post_form(browser, listed, "/leads/bulk", form)
    assert "Enrol in Nurture: 3 leads" in asked.text
    assert await _leads_of(app, nurture.id) == []

    shown = await _confirm(browser, listed, form)

    enrolled = await _leads_of(app, nurture.id)
    assert sorted(lead.caller_id or "" for lead in enrolled) == callers
    now = state_of(app).clock.now()
    for lead in enrolled:
        assert lead.status == "scheduled"
        assert lead.next_action_at is not None
        assert abs(lead.next_action_at.replace(tzinfo=now.tzinfo) - now) < timedelta(minutes=5)
        assert lead.tokens["pet"] == "kittens"
        assert lead.sub_id == "s1"
    assert "Enrol in Nurture: done for 3 lead(s)." in shown
    # The leads they came from go on in their own schedule.
    assert [lead.status for lead in await _leads_of(app, source.id)] == ["scheduled"] * 3


async def test_suppressed_numbers_and_callers_already_enrolled_are_skipped_and_counted(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    source = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    nurture = await factory.schedule(tenant, name="Nurture", actions=[{"type": "wait", "days": 2}])
    fresh = await _post_lead(browser, source.leads_api_key, "+18004506701")
    opted = await _post_lead(browser, source.leads_api_key, "+18004506702")
    listed_dnc = await _post_lead(browser, source.leads_api_key, "+18004506703")
    twice = await _post_lead(browser, source.leads_api_key, "+18004506704")
    await _post_lead(browser, nurture.leads_api_key, "+18004506704")
    await factory.contact(tenant, "+18004506702", opt_out=True)
    await factory.contact(tenant, "+18004506703", dnc=True)
    form = {
        "operation": "enrol",
        "scope": "selected",
        "lead_id": [str(n) for n in (fresh, opted, listed_dnc, twice)],
        "enrol_schedule_id": str(nurture.id),
    }
    opened = await browser.get("/leads")
    asked = await browser.post("/leads/bulk", data={**form, "csrf_token": csrf_of(opened.text)})
    assert "Enrol in Nurture: 4 leads" in asked.text
    done = await browser.post(
        "/leads/bulk", data={**form, "confirm": "yes", "csrf_token": csrf_of(asked.text)}
    )
    shown = (await browser.get(done.headers["location"])).text

    callers = [lead.caller_id for lead in await _leads_of(app, nurture.id)]
    assert sorted(callers) == ["+18004506701", "+18004506704"]  # the fresh one, and no double
    assert "Enrol in Nurture: done for 1 lead(s)." in shown
    assert "Skipped 3:" in shown
    assert "Opted out (1)" in shown
    assert "On a do-not-call list (1)" in shown
    assert "Already live in that schedule (1)" in shown
    async with state_of(app).sessionmaker() as session:
        kinds = set(await session.scalars(select(LeadEvent.kind)))
    assert "created" in kinds


async def test_enrolling_in_a_router_routes_each_lead_by_its_caller_id(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    source = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    router = await factory.schedule(tenant, name="Router", schedule_type=LEAD_DISTRIBUTION)
    denver = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    made = await browser.post(
        f"/api/v1/schedules/{router.id}/distributions",
        json={
            "target_schedule_id": denver.id,
            "name": "Denver",
            "conditions": [{"field": "caller_id", "operator": "starts_with", "value": "+1303"}],
        },
        headers=tenant.auth,
    )
    assert made.status_code == 200, made.text
    await _post_lead(browser, source.leads_api_key, "+13035550123")
    await _post_lead(browser, source.leads_api_key, "+18004506701")
    form = {
        "operation": "enrol",
        "scope": "filtered",
        "schedule_id": str(source.id),
        "enrol_schedule_id": str(router.id),
    }
    shown = await _confirm(browser, f"/leads?schedule_id={source.id}", form)

    assert [lead.caller_id for lead in await _leads_of(app, denver.id)] == ["+13035550123"]
    assert "Enrol in Router: done for 1 lead(s)." in shown
    assert "No distribution of the router matched (1)" in shown


async def test_enrolling_without_a_schedule_asks_for_one_before_confirming(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    source = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    nurture = await factory.schedule(tenant, name="Nurture")
    await _post_lead(browser, source.leads_api_key, "+18004506701")
    listed = await browser.get("/leads")
    assert '<option value="" selected>Choose…</option>' in listed.text
    form = {"operation": "enrol", "scope": "filtered", "enrol_schedule_id": ""}
    asked = await browser.post("/leads/bulk", data={**form, "csrf_token": csrf_of(listed.text)})
    assert asked.status_code == 422
    assert "Choose the schedule to enrol them in." in asked.text
    assert 'name="enrol_schedule_id" required' in asked.text
    assert '<option value="" selected>Choose…</option>' in asked.text
    assert await _leads_of(app, nurture.id) == []
    chosen = {**form, "enrol_schedule_id": str(nurture.id)}
    confirm = await browser.post("/leads/bulk", data={**chosen, "csrf_token": csrf_of(asked.text)})
    assert "Enrol in Nurture: 1 lead" in confirm.text


async def test_another_action_ignores_the_schedule_left_chosen_in_the_enrol_select(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    source = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    nurture = await factory.schedule(tenant, name="Nurture")
    await _post_lead(browser, source.leads_api_key, "+18004506701")
    form = {
        "operation": "remove",
        "scope": "filtered",
        "schedule_id": str(source.id),
        "enrol_schedule_id": str(nurture.id),
    }
    shown = await _confirm(browser, f"/leads?schedule_id={source.id}", form)
    assert "Remove: done for 1 lead(s)." in shown
    assert [lead.status for lead in await _leads_of(app, source.id)] == ["disabled"]
    assert await _leads_of(app, nurture.id) == []


async def test_a_bulk_enrolment_without_its_csrf_token_enrols_nobody(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    source = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    nurture = await factory.schedule(tenant, name="Nurture")
    await _post_lead(browser, source.leads_api_key, "+18004506701")
    form = {
        "operation": "enrol",
        "scope": "filtered",
        "enrol_schedule_id": str(nurture.id),
        "confirm": "yes",
    }
    answer = await browser.post("/leads/bulk", data=form)
    assert answer.status_code == 403
    assert await _leads_of(app, nurture.id) == []
