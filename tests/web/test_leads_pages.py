"""The leads pages: search, the lead page's timeline and its buttons."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Call, Contact, Lead, LeadEvent
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, post_form


async def _post_lead(client: httpx.AsyncClient, token: str, caller: str, **data: str) -> int:
    answer = await client.post(
        "/api/v1/leads", params={"lead_token": token, "caller_id": caller, **data}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["lead"]["id"])


async def _lead(app: FastAPI, lead_id: int) -> Lead:
    async with state_of(app).sessionmaker() as session:
        row = await session.get(Lead, lead_id)
        assert row is not None
        return row


async def test_the_list_searches_leads_by_their_tokens(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    kittens = await _post_lead(browser, schedule.leads_api_key, "+18004506787", pet="kittens")
    puppies = await _post_lead(browser, schedule.leads_api_key, "+18004506788", pet="puppies")
    listed = await browser.get("/leads")
    assert f'href="/leads/{kittens}"' in listed.text
    assert f'href="/leads/{puppies}"' in listed.text
    found = await browser.get("/leads", params={"q": "kittens"})
    assert f'href="/leads/{kittens}"' in found.text
    assert f'href="/leads/{puppies}"' not in found.text
    assert "1 lead matching" in found.text


async def test_the_list_pages_through_leads(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    ids = [
        await _post_lead(browser, schedule.leads_api_key, f"+1800450{6700 + n}") for n in range(26)
    ]
    first = await browser.get("/leads", params={"schedule_id": str(schedule.id)})
    assert "Page 1 of 2" in first.text
    assert f'href="/leads/{ids[0]}"' not in first.text
    second = await browser.get("/leads", params={"schedule_id": str(schedule.id), "page": "2"})
    assert f'href="/leads/{ids[0]}"' in second.text


async def test_the_lead_page_shows_tokens_and_timeline(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    lead_id = await _post_lead(browser, schedule.leads_api_key, "+18004506787", pet="kittens")
    shown = await browser.get(f"/leads/{lead_id}")
    assert shown.status_code == 200
    assert '[pet]</td><td data-label="Value">kittens' in shown.text
    assert "<strong>created</strong>" in shown.text


async def test_opt_out_ends_the_lead_and_suppresses_the_number(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "wait", "days": 1}])
    lead_id = await _post_lead(browser, schedule.leads_api_key, "+18004506787")
    answer = await post_form(browser, f"/leads/{lead_id}", f"/leads/{lead_id}/opt_out", {})
    assert answer.headers["location"] == f"/leads/{lead_id}?done=opt_out"
    assert (await _lead(app, lead_id)).status == "opt_out"
    async with state_of(app).sessionmaker() as session:
        contact = await session.scalar(select(Contact).where(Contact.number == "+18004506787"))
        assert contact is not None
        assert contact.opt_out
    shown = await browser.get(answer.headers["location"])
    assert "opted out company-wide" in shown.text


async def test_remove_and_move_to_end_change_the_lead(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(
        signed_in.tenant, actions=[{"type": "wait", "days": 1}, {"type": "wait", "days": 1}]
    )
    moved = await _post_lead(browser, schedule.leads_api_key, "+18004506787")
    await post_form(browser, f"/leads/{moved}", f"/leads/{moved}/move_to_end", {})
    assert (await _lead(app, moved)).action_index == 2
    removed = await _post_lead(browser, schedule.leads_api_key, "+18004506788")
    await post_form(browser, f"/leads/{removed}", f"/leads/{removed}/remove", {})
    assert (await _lead(app, removed)).status == "disabled"
    again = await post_form(browser, f"/leads/{removed}", f"/leads/{removed}/move_to_end", {})
    assert "already ended" in (await browser.get(again.headers["location"])).text


async def test_call_now_places_a_call_that_shows_in_the_timeline(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "wait", "days": 1}])
    await factory.number(signed_in.tenant, "+18005550100", ["voice"])  # the caller ID
    lead_id = await _post_lead(browser, schedule.leads_api_key, "+18004506787")
    answer = await post_form(browser, f"/leads/{lead_id}", f"/leads/{lead_id}/call", {})
    assert answer.headers["location"] == f"/leads/{lead_id}?done=call"
    async with state_of(app).sessionmaker() as session:
        calls = (await session.scalars(select(Call))).all()
        assert [call.lead_id for call in calls] == [lead_id]
    shown = await browser.get(answer.headers["location"])
    assert "<strong>call " in shown.text


async def test_another_companys_lead_is_not_found(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    other = await factory.schedule(await factory.tenant())
    lead_id = await _post_lead(browser, other.leads_api_key, "+18004506787", secret="x1y2")
    assert (await browser.get(f"/leads/{lead_id}")).status_code == 404
    home = await browser.get("/")
    for operation in ("opt_out", "remove", "move_to_end", "call"):
        answer = await browser.post(
            f"/leads/{lead_id}/{operation}", data={"csrf_token": csrf_of(home.text)}
        )
        assert answer.status_code == 404
    listed = await browser.get("/leads", params={"q": "x1y2"})
    assert f'href="/leads/{lead_id}"' not in listed.text


async def _one_off_lead(app: FastAPI, factory: Factory, person: Person) -> tuple[int, str]:
    """A lead as make_call leaves it for a number in no schedule: owned by the offer, with the
    event data the dialer writes (a list of token names, a false ``callback``)."""
    tenant = person.tenant
    schedule = await factory.schedule(tenant)
    source = await factory.traffic_source(tenant, name="Facebook Ads")
    now = factory.clock.now()
    async with state_of(app).sessionmaker() as session:
        lead = Lead(
            company_id=tenant.company.id,
            offer_id=schedule.offer_id,
            schedule_id=None,
            traffic_source_id=source.id,
            caller_id="+18004506787",
            status="waiting",
            tokens={"first_name": "Ada", "pets": ["cat", "dog"], "vip": False},
            created_at=now,
            updated_at=now,
        )
        session.add(lead)
        await session.flush()
        for kind, data in (
            ("created", {"via": "make_call", "schedule_id": schedule.id, "tokens": ["first_name"]}),
            ("call_placed", {"call_id": 1, "action_index": None, "callback": False}),
        ):
            session.add(
                LeadEvent(
                    company_id=tenant.company.id, lead_id=lead.id, kind=kind, data=data,
                    created_at=now,
                )
            )  # fmt: skip
        await session.commit()
        return lead.id, source.name


async def test_the_lead_page_names_the_traffic_source_and_shows_no_python_values(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    lead_id, source_name = await _one_off_lead(app, factory, signed_in)
    html = (await browser.get(f"/leads/{lead_id}")).text
    assert f">{source_name}</a>" in html
    assert "tokens: first_name" in html
    assert "callback: no" in html
    assert '[pets]</td><td data-label="Value">cat, dog</td>' in html
    assert '[vip]</td><td data-label="Value">no</td>' in html
    for python in ("['", "[&#39;", "False", "None", "{&#39;", "{'"):
        assert python not in html, python


async def test_a_one_off_lead_offers_no_move_to_end(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    lead_id, _ = await _one_off_lead(app, factory, signed_in)
    html = (await browser.get(f"/leads/{lead_id}")).text
    assert "Move to end of schedule" not in html
    assert "Remove</button>" in html
    answer = await post_form(browser, f"/leads/{lead_id}", f"/leads/{lead_id}/move_to_end", {})
    assert answer.headers["location"] == f"/leads/{lead_id}?refused=no_schedule"
    assert "in no schedule" in (await browser.get(answer.headers["location"])).text
    assert (await _lead(app, lead_id)).status == "waiting"


async def test_the_list_filters_by_status_schedule_source_sub_id_and_date(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    first = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    second = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    source = await factory.traffic_source(tenant, name="Facebook Ads")
    tagged = await _post_lead(
        browser, first.leads_api_key, "+18004506787",
        traffic_source_id=str(source.id), sub_id="creative-7",
    )  # fmt: skip
    other = await _post_lead(browser, second.leads_api_key, "+18004506788")
    opted = await _post_lead(browser, second.leads_api_key, "+18004506789")
    await post_form(browser, f"/leads/{opted}", f"/leads/{opted}/opt_out", {})

    async def listed(**params: str) -> set[int]:
        answer = await browser.get("/leads", params=params)
        assert answer.status_code == 200, answer.text
        return {int(n) for n in re.findall(r'href="/leads/(\d+)"', answer.text)}

    everyone = {tagged, other, opted}
    assert await listed() == everyone
    assert await listed(schedule_id=str(second.id)) == {other, opted}
    assert await listed(traffic_source_id=str(source.id)) == {tagged}
    assert await listed(sub_id="creative-7") == {tagged}
    assert await listed(status="opt_out") == {opted}
    today = factory.clock.now().date().isoformat()
    assert await listed(created_from=today, created_to=today) == everyone
    assert await listed(created_from="2001-01-01", created_to="2001-01-02") == set()
    bad = await browser.get("/leads", params={"created_from": "soon"})
    assert bad.status_code == 422
    assert 'id="err-created_from">Enter a date' in bad.text


async def test_the_list_sorts_by_a_column_both_ways(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    ids = [
        await _post_lead(browser, schedule.leads_api_key, f"+1800450{6700 + n}") for n in range(3)
    ]

    async def order(**params: str) -> list[int]:
        html = (await browser.get("/leads", params=params)).text
        return [int(n) for n in re.findall(r'href="/leads/(\d+)"', html)]

    assert await order() == ids[::-1]
    assert await order(sort="id", dir="asc") == ids
    page = (await browser.get("/leads", params={"sort": "id", "dir": "asc"})).text
    assert 'href="/leads?sort=id&amp;dir=desc"' in page
    assert 'aria-sort="ascending"' in page


async def test_a_bulk_opt_out_of_the_filtered_leads_asks_first_with_their_count(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    first = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    second = await factory.schedule(tenant, actions=[{"type": "wait", "days": 1}])
    mine = [await _post_lead(browser, first.leads_api_key, f"+1800450{6700 + n}") for n in range(3)]
    spared = await _post_lead(browser, second.leads_api_key, "+18004506799")
    listed = f"/leads?schedule_id={first.id}"
    form = {"operation": "opt_out", "scope": "filtered", "schedule_id": str(first.id)}
    asked = await post_form(browser, listed, "/leads/bulk", form)
    assert asked.status_code == 200
    assert "Opt out: 3 leads" in asked.text
    assert "opt_out" not in [(await _lead(app, n)).status for n in mine]
    done = await browser.post(
        "/leads/bulk", data={**form, "confirm": "yes", "csrf_token": csrf_of(asked.text)}
    )
    assert done.status_code == 303
    assert [(await _lead(app, n)).status for n in mine] == ["opt_out"] * 3
    assert (await _lead(app, spared)).status != "opt_out"
    assert "done for 3 lead(s)" in (await browser.get(done.headers["location"])).text


async def test_a_bulk_removal_touches_only_the_ticked_leads(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "wait", "days": 1}])
    ids = [
        await _post_lead(browser, schedule.leads_api_key, f"+1800450{6700 + n}") for n in range(3)
    ]
    form: dict[str, Any] = {
        "operation": "remove",
        "scope": "selected",
        "lead_id": [str(ids[0]), str(ids[2])],
    }
    opened = await browser.get("/leads")
    asked = await browser.post("/leads/bulk", data={**form, "csrf_token": csrf_of(opened.text)})
    assert "Remove: 2 leads" in asked.text
    done = await browser.post(
        "/leads/bulk", data={**form, "confirm": "yes", "csrf_token": csrf_of(asked.text)}
    )
    assert done.status_code == 303
    statuses = [(await _lead(app, n)).status for n in ids]
    assert (statuses[0], statuses[2]) == ("disabled", "disabled")
    assert statuses[1] != "disabled"


async def test_a_bulk_action_without_its_csrf_token_is_refused(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await browser.post(
        "/leads/bulk", data={"operation": "opt_out", "scope": "filtered", "confirm": "yes"}
    )
    assert answer.status_code == 403
