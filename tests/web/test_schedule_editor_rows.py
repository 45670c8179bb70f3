"""The schedule edit page's headers, tokens to set and choice conditions, edited as rows of
fields (not JSON), turned into exactly the JSON the API stores and returns."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.factories import Factory
from tests.web.conftest import Person
from tests.web.test_schedules_pages import edit_form


async def _api_schedule(browser: httpx.AsyncClient, person: Person, schedule_id: int) -> Any:
    answer = await browser.get(f"/api/v1/schedules/{schedule_id}", headers=person.tenant.auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["schedule"]


async def _with_actions(browser: httpx.AsyncClient, url: str, *kinds: str) -> str:
    page = await browser.get(url)
    for kind in kinds:
        page = await browser.post(url, data=edit_form(page.text, op="add", new_action_type=kind))
        assert page.status_code == 200
    return page.text


async def test_headers_conditions_and_tokens_posted_as_rows_are_the_apis_json(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    url = f"/schedules/{schedule.id}/edit"
    html = await _with_actions(browser, url, "choice", "webhook", "modify_lead")
    assert 'name="a1.headers.1.value"' in html  # empty rows to fill in
    assert "<textarea" not in html.split('id="a1.headers"')[1].split("</fieldset>")[0]
    saved = await browser.post(
        url,
        data=edit_form(
            html,
            op="save",
            **{
                "a0.c0.field": "state",
                "a0.c0.operator": "in",
                "a0.c0.value": "CA, NV",
                "a0.c1.field": "lead.contact_attempts",
                "a0.c1.operator": "greater_than",
                "a0.c1.value": "2",
                "a0.then": "3",
                "a1.url": "https://example.com/hook",
                "a1.headers.0.name": "X-Api-Key",
                "a1.headers.0.value": "secret",
                "a1.headers.1.name": "X-Lead",
                "a1.headers.1.value": "[lead_id]",
                "a2.set_tokens.1.name": "stage",
                "a2.set_tokens.1.value": "called",
            },
        ),
    )
    assert saved.status_code == 303, saved.text
    actions = (await _api_schedule(browser, signed_in, schedule.id))["actions"]
    assert actions == [
        {
            "type": "choice",
            "conditions": [
                {"field": "state", "operator": "in", "value": ["CA", "NV"]},
                {"field": "lead.contact_attempts", "operator": "greater_than", "value": "2"},
            ],
            "match": "all",
            "then": 2,
            "else": "next",
        },
        {
            "type": "webhook",
            "method": "POST",
            "url": "https://example.com/hook",
            "body": "",
            "headers": {"X-Api-Key": "secret", "X-Lead": "[lead_id]"},
        },
        {"type": "modify_lead", "set_tokens": {"stage": "called"}},
    ]


async def test_stored_headers_and_conditions_are_shown_as_rows(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    actions = [
        {
            "type": "choice",
            "conditions": [{"field": "state", "operator": "not_in", "value": ["CA", "NV"]}],
            "then": "exit",
        },
        {
            "type": "webhook",
            "url": "https://example.com/hook",
            "headers": {"Authorization": "Bearer [token]"},
        },
    ]
    end_actions = [{"type": "modify_lead", "set_tokens": {"stage": "done"}}]
    schedule = await factory.schedule(signed_in.tenant, actions=actions, end_actions=end_actions)
    url = f"/schedules/{schedule.id}/edit"
    html = (await browser.get(url)).text
    assert re.search(r'name="a0.c0.field" type="text" value="state"', html)
    assert re.search(r'<option value="not_in" selected>is none of</option>', html)
    assert re.search(r'name="a0.c0.value" type="text" value="CA, NV"', html)
    assert re.search(r'name="a1.headers.0.name" type="text" value="Authorization"', html)
    assert re.search(r'name="a1.headers.0.value" type="text" value="Bearer \[token\]"', html)
    assert re.search(r'name="a1.headers.1.name" type="text" value=""', html)
    assert re.search(r'name="e0.set_tokens.0.name" type="text" value="stage"', html)
    assert "<textarea" not in html.split('id="a1.headers"')[1].split("</fieldset>")[0]
    # Saved again untouched, the API's view of them does not change.
    before = await _api_schedule(browser, signed_in, schedule.id)
    saved = await browser.post(url, data=edit_form(html, op="save"))
    assert saved.status_code == 303, saved.text
    after = await _api_schedule(browser, signed_in, schedule.id)
    assert after["actions"] == before["actions"]
    assert after["end_actions"] == before["end_actions"]


async def test_row_mistakes_are_shown_next_to_their_row_and_nothing_is_saved(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    url = f"/schedules/{schedule.id}/edit"
    html = await _with_actions(browser, url, "webhook", "choice")
    answer = await browser.post(
        url,
        data=edit_form(
            html,
            op="save",
            **{
                "a0.url": "https://example.com/hook",
                "a0.headers.0.name": "X-Ok",
                "a0.headers.0.value": "fine",
                "a0.headers.1.value": "nameless",
                "a1.c1.field": "score",
                "a1.c1.operator": "greater_than",
                "a1.c1.value": "high",
                "a1.then": "exit",
            },
        ),
    )
    assert answer.status_code == 422
    html = answer.text
    assert re.search(r'id="err-a0.headers.1.name">Give this header a name, or clear its', html)
    assert re.search(r'id="err-a1.c1.value">greater_than needs a number<', html)
    # The rows typed are shown again as typed, with empty rows after them.
    assert re.search(r'name="a0.headers.1.value" type="text" value="nameless"', html)
    assert 'name="a0.headers.3.name"' in html
    assert (await _api_schedule(browser, signed_in, schedule.id))["actions"] == []
