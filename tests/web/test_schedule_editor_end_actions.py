"""The schedule edit page's end actions: listed, added, edited and removed through the form,
checked by the API's own ``EndActionList``, and kept exactly when a save does not touch them."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Factory
from tests.web.conftest import Person
from tests.web.test_schedules_pages import _stored, edit_form


async def _api_schedule(browser: httpx.AsyncClient, person: Person, schedule_id: int) -> Any:
    answer = await browser.get(f"/api/v1/schedules/{schedule_id}", headers=person.tenant.auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["schedule"]


async def test_an_end_action_set_through_the_form_is_what_the_api_returns(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "wait", "seconds": 60}])
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    assert "No end actions" in page.text
    offered = page.text[page.text.index('id="new_end_action_type"') :]
    offered = offered[: offered.index("</select>")]
    assert 'value="sms"' in offered
    assert 'value="wait"' not in offered
    page = await browser.post(
        url, data=edit_form(page.text, op="end_add", new_end_action_type="sms")
    )
    assert page.status_code == 200
    page = await browser.post(
        url, data=edit_form(page.text, op="end_add", new_end_action_type="opt_out")
    )
    assert "End action 2: Opt the lead out" in page.text
    saved = await browser.post(
        url, data=edit_form(page.text, op="save", **{"e0.body": "Bye [first_name]"})
    )
    assert saved.status_code == 303, saved.text
    body = await _api_schedule(browser, signed_in, schedule.id)
    assert body["end_actions"] == [
        {"type": "sms", "body": "Bye [first_name]"},
        {"type": "opt_out"},
    ]
    assert body["actions"] == [{"type": "wait", "seconds": 60, "minutes": 0, "hours": 0, "days": 0}]
    shown = await browser.get(saved.headers["location"])
    assert "End action 1: Send a text message" in shown.text
    page = await browser.post(url, data=edit_form(shown.text, op="end_delete:0"))
    saved = await browser.post(url, data=edit_form(page.text, op="save"))
    assert saved.status_code == 303
    assert (await _api_schedule(browser, signed_in, schedule.id))["end_actions"] == [
        {"type": "opt_out"}
    ]


async def test_a_bad_end_action_shows_the_api_message_next_to_its_field(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    end_actions = [{"type": "opt_out"}]
    schedule = await factory.schedule(signed_in.tenant, end_actions=end_actions)
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    page = await browser.post(
        url, data=edit_form(page.text, op="end_add", new_end_action_type="webhook")
    )
    answer = await browser.post(
        url, data=edit_form(page.text, op="save", **{"e1.url": "ftp://example.com/hook"})
    )
    assert answer.status_code == 422
    assert re.search(r'id="err-e1.url">must start with http:// or https://<', answer.text)
    answer = await browser.post(
        url, data=edit_form(page.text, op="save", **{"e1.url": "http://127.0.0.1:9/hook"})
    )
    assert answer.status_code == 422
    assert re.search(r'id="err-e1.url">[^<]+<', answer.text)
    assert (await _api_schedule(browser, signed_in, schedule.id))["end_actions"] == end_actions


async def test_saving_other_fields_keeps_the_end_actions_exactly(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    # As the API stores them: defaults written out, an empty header map, a multi-line body.
    end_actions = [
        {
            "type": "webhook",
            "method": "POST",
            "url": "https://example.com/ended?lead=[lead_id]",
            "body": "ended\nfor good",
            "headers": {},
        },
        {"type": "call", "connect_to": None, "buyer_id": None, "max_ring_seconds": 30},
    ]
    schedule = await factory.schedule(signed_in.tenant, end_actions=end_actions)
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    form = edit_form(page.text, op="save", name="Renamed")
    form["e0.body"] = form["e0.body"].replace("\n", "\r\n")  # as a browser posts a textarea
    saved = await browser.post(url, data=form)
    assert saved.status_code == 303, saved.text
    body = await _api_schedule(browser, signed_in, schedule.id)
    assert body["name"] == "Renamed"
    assert (await _stored(app, schedule.id)).end_actions == end_actions
    assert body["end_actions"][0]["body"] == "ended\nfor good"
