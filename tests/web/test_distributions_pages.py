"""A router's distributions page: conditions typed as field, operator and value are stored as
the distributions API stores them, the API's rules refuse a form with nothing saved, deleting
a saved distribution asks first, and the next lead posted to the router is routed by what was
saved."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Distribution, Schedule
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, make_person, post_form, sign_in
from tests.web.test_forms_and_accessibility import _accessibility_problems
from tests.web.test_schedules_pages import edit_form


@dataclass
class Router:
    router: Schedule
    colorado: Schedule
    spring: Schedule

    @property
    def url(self) -> str:
        return f"/schedules/{self.router.id}/distributions"


@pytest.fixture
async def made(factory: Factory, signed_in: Person) -> Router:
    tenant = signed_in.tenant
    offer = await factory.offer(tenant)
    wait = [{"type": "wait", "days": 1}]
    return Router(
        await factory.schedule(tenant, offer, name="Router", schedule_type="lead_distribution"),
        await factory.schedule(tenant, offer, name="Colorado callers", actions=wait),
        await factory.schedule(tenant, offer, name="Spring callers", actions=wait),
    )


def two_distributions(made: Router) -> dict[str, str]:
    return {
        "distribution_count": "2",
        "d0.id": "", "d0.name": "Colorado", "d0.target_schedule_id": str(made.colorado.id),
        "d0.priority": "0", "d0.weight": "1", "d0.condition_count": "1",
        "d0.c0.field": "State", "d0.c0.operator": "equals", "d0.c0.value": "CO",
        "d1.id": "", "d1.name": "Spring", "d1.target_schedule_id": str(made.spring.id),
        "d1.priority": "1", "d1.weight": "3", "d1.condition_count": "3",
        "d1.c0.field": "sub_id", "d1.c0.operator": "in", "d1.c0.value": "spring-a, spring-b",
        "d1.c1.field": "", "d1.c1.operator": "equals", "d1.c1.value": "",
        "d1.c2.field": "first_name", "d1.c2.operator": "exists", "d1.c2.value": "",
        "op": "save",
    }  # fmt: skip


async def stored(app: FastAPI, router: Schedule) -> list[Distribution]:
    async with state_of(app).sessionmaker() as session:
        query = select(Distribution).where(Distribution.schedule_id == router.id)
        return list((await session.scalars(query.order_by(Distribution.id))).all())


async def test_saved_distributions_are_stored_as_the_api_stores_them_and_route_the_next_lead(
    app: FastAPI, browser: httpx.AsyncClient, made: Router
) -> None:
    saved = await post_form(browser, made.url, made.url, two_distributions(made))
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{made.url}?saved=1"
    rows = await stored(app, made.router)
    assert [(d.name, d.target_schedule_id, d.priority, d.weight) for d in rows] == [
        ("Colorado", made.colorado.id, 0, 1),
        ("Spring", made.spring.id, 1, 3),
    ]
    assert rows[0].conditions == [{"field": "state", "operator": "equals", "value": "CO"}]
    assert rows[1].conditions == [
        {"field": "sub_id", "operator": "in", "value": ["spring-a", "spring-b"]},
        {"field": "first_name", "operator": "exists", "value": None},
    ]
    shown = await browser.get(f"{made.url}?saved=1")
    assert "Distributions saved." in shown.text
    assert 'value="spring-a, spring-b"' in shown.text
    assert _accessibility_problems(shown.text) == []

    posted = await browser.post(
        "/api/v1/leads",
        params={
            "lead_token": made.router.leads_api_key,
            "caller_id": "+17193132645",
            "sub_id": "spring-b",
            "first_name": "Ada",
        },
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["lead"]["schedule_id"] == made.spring.id


async def test_a_refused_form_shows_the_apis_messages_by_the_fields_and_saves_nothing(
    app: FastAPI, browser: httpx.AsyncClient, made: Router, factory: Factory, signed_in: Person
) -> None:
    form = two_distributions(made)
    form.update({"d0.c0.value": "", "d1.weight": "0"})
    refused = await post_form(browser, made.url, made.url, form)
    assert refused.status_code == 422
    assert 'id="err-d0.c0.value"' in refused.text
    assert "equals needs a single value" in refused.text
    assert 'id="err-d1.weight"' in refused.text
    assert 'value="spring-a, spring-b"' in refused.text  # what was typed is kept
    assert _accessibility_problems(refused.text) == []
    assert await stored(app, made.router) == []

    other_router = await factory.schedule(signed_in.tenant, schedule_type="lead_distribution")
    form = two_distributions(made)
    form["d1.target_schedule_id"] = str(other_router.id)
    refused = await post_form(browser, made.url, made.url, form)
    assert refused.status_code == 422
    assert 'id="err-d1.target_schedule_id"' in refused.text
    assert "a router cannot target another router" in refused.text
    assert await stored(app, made.router) == []  # the valid first one is not saved either


async def test_deleting_a_saved_distribution_asks_first_and_names_it(
    app: FastAPI, browser: httpx.AsyncClient, made: Router
) -> None:
    await post_form(browser, made.url, made.url, two_distributions(made))
    opened = await browser.get(made.url)
    taken_off = await browser.post(made.url, data={**edit_form(opened.text), "op": "delete:0"})
    assert taken_off.status_code == 200
    assert 'value="Colorado"' not in taken_off.text
    assert len(await stored(app, made.router)) == 2  # only the page changed

    asked = await browser.post(made.url, data={**edit_form(taken_off.text), "op": "save"})
    assert asked.status_code == 200
    assert "Delete 1 distribution of Router" in asked.text
    assert "Saving deletes Colorado" in asked.text
    assert len(await stored(app, made.router)) == 2

    confirmed = await browser.post(made.url, data=edit_form(asked.text))
    assert confirmed.status_code == 303, confirmed.text
    assert [d.name for d in await stored(app, made.router)] == ["Spring"]


async def test_a_schedule_that_is_not_a_router_has_no_distributions_form(
    app: FastAPI, browser: httpx.AsyncClient, made: Router
) -> None:
    url = f"/schedules/{made.colorado.id}/distributions"
    shown = await browser.get(url)
    assert shown.status_code == 200
    assert "Only a router" in shown.text
    assert "Save distributions" not in shown.text
    form = {**two_distributions(made), "d0.target_schedule_id": str(made.spring.id)}
    answer = await browser.post(url, data={"csrf_token": csrf_of(shown.text), **form})
    assert answer.status_code == 303
    async with state_of(app).sessionmaker() as session:
        assert (await session.scalars(select(Distribution))).all() == []
    edit = await browser.get(f"/schedules/{made.router.id}/edit")
    assert f'href="{made.url}"' in edit.text
    assert (
        f'href="/schedules/{made.colorado.id}/distributions"'
        not in (await browser.get(f"/schedules/{made.colorado.id}/edit")).text
    )


async def test_another_companys_router_is_not_found(
    app: FastAPI, browser: httpx.AsyncClient, factory: Factory
) -> None:
    theirs = await factory.schedule(await factory.tenant(), schedule_type="lead_distribution")
    me = await make_person(app, await factory.tenant())
    assert (await sign_in(browser, me)).status_code == 303
    assert (await browser.get(f"/schedules/{theirs.id}/distributions")).status_code == 404
