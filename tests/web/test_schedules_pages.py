"""The schedules pages: create, the edit page and its actions editor, API Token & Examples."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.models import Schedule
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, post_form

WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def edit_form(html: str, **changes: str) -> dict[str, str]:
    """Every field of the edit page as a browser would post it, then ``changes``."""
    data: dict[str, str] = {}
    for tag in re.finditer(r"<(input|textarea|select)\b[^>]*>", html):
        text = tag.group(0)
        name = re.search(r'name="([^"]+)"', text)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', text)
        if kind and kind.group(1) == "checkbox":
            if " checked" in text:
                data[name.group(1)] = "on"
            continue
        if tag.group(1) == "input":
            value = re.search(r'value="([^"]*)"', text)
            data[name.group(1)] = value.group(1) if value else ""
        elif tag.group(1) == "textarea":
            body = re.search(re.escape(text) + r"(.*?)</textarea>", html, re.S)
            data[name.group(1)] = body.group(1) if body else ""
        else:
            block = html[tag.end() : html.index("</select>", tag.end())]
            chosen = re.search(r'<option value="([^"]*)" selected', block)
            first = re.search(r'<option value="([^"]*)"', block)
            data[name.group(1)] = (chosen or first).group(1) if (chosen or first) else ""
    data.update(changes)
    return data


async def _stored(app: FastAPI, schedule_id: int) -> Schedule:
    async with state_of(app).sessionmaker() as session:
        row = await session.get(Schedule, schedule_id)
        assert row is not None
        return row


async def test_a_new_schedule_gets_three_actions_through_the_editor(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    offer = await factory.offer(signed_in.tenant, name="Auto")
    created = await post_form(
        browser, "/schedules/new", "/schedules/new", {"name": "Callers", "offer_id": str(offer.id)}
    )
    assert created.status_code == 303
    edit_url = created.headers["location"]
    schedule_id = int(edit_url.split("/")[2])
    page = await browser.get(edit_url)
    for kind in ("wait", "sms", "call"):
        page = await browser.post(
            edit_url, data=edit_form(page.text, op="add", new_action_type=kind)
        )
        assert page.status_code == 200
    saved = await browser.post(
        edit_url,
        data=edit_form(page.text, op="save", **{"a0.minutes": "5", "a1.body": "Hi [first_name]"}),
    )
    assert saved.status_code == 303, saved.text
    row = await _stored(app, schedule_id)
    assert row.actions == [
        {"type": "wait", "minutes": 5},
        {"type": "sms", "body": "Hi [first_name]"},
        {"type": "call", "max_ring_seconds": 30},
    ]
    shown = await browser.get(saved.headers["location"])
    assert "Schedule saved." in shown.text
    assert "Action 3: Call the lead" in shown.text


async def test_the_editor_moves_and_deletes_actions_before_saving(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(
        signed_in.tenant,
        actions=[{"type": "wait", "seconds": 60}, {"type": "opt_out"}, {"type": "block"}],
    )
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    page = await browser.post(url, data=edit_form(page.text, op="down:0"))
    page = await browser.post(url, data=edit_form(page.text, op="delete:2"))
    assert (await _stored(app, schedule.id)).actions[2] == {"type": "block"}
    saved = await browser.post(url, data=edit_form(page.text, op="save"))
    assert saved.status_code == 303
    assert (await _stored(app, schedule.id)).actions == [
        {"type": "opt_out"},
        {"type": "wait", "seconds": 60},
    ]


async def test_invalid_values_are_reported_next_to_their_field_and_nothing_is_saved(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "wait", "seconds": 60}])
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    answer = await browser.post(
        url,
        data=edit_form(
            page.text,
            op="save",
            name="",
            time_zone="Mars/Olympus",
            **{"a0.seconds": "0", "calling_hours.monday.open": "2500"},
        ),
    )
    assert answer.status_code == 422
    html = answer.text
    assert re.search(r'id="err-a0">a wait must last at least one second<', html)
    assert re.search(r'id="err-calling_hours.monday.open">must be a time of day', html)
    assert re.search(r'id="err-name">This is required.<', html)
    assert re.search(r'id="err-time_zone">must be an IANA time zone', html)
    assert (await _stored(app, schedule.id)).actions == [{"type": "wait", "seconds": 60}]


async def test_a_jump_past_the_last_action_is_reported_counting_from_one(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    page = await browser.post(url, data=edit_form(page.text, op="add", new_action_type="choice"))
    answer = await browser.post(
        url,
        data=edit_form(
            page.text,
            op="save",
            **{
                "a0.c0.field": "state",
                "a0.c0.operator": "equals",
                "a0.c0.value": "CA",
                "a0.then": "3",
            },
        ),
    )
    assert answer.status_code == 422
    assert "action 1: then goes to action 3, but the schedule has 1 actions" in answer.text


async def test_api_token_page_shows_runnable_samples_for_this_server(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    source = await factory.traffic_source(signed_in.tenant, name="Facebook")
    page = await browser.get(f"/schedules/{schedule.id}/submit_leads_help")
    html = page.text
    token = schedule.leads_api_key
    for title in ("Bash &amp; Curl", "PHP", "Instapage", "Javascript"):
        assert f">{title}</button>" in html
    assert "Treat the API token like a password." in html
    assert (
        f"curl -X POST &#34;https://leadflow.test/api/v1/leads?lead_token={token}"
        "&amp;caller_id=%2B18004506787" in html
    )
    assert "Webhook URL Example" in html
    assert (
        f"lead_token={token}&amp;caller_id=%2B18004506787&amp;traffic_source_id={source.id}" in html
    )


async def test_regenerating_the_token_stops_the_old_one_at_once(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    old = schedule.leads_api_key
    lead = {"lead_token": old, "caller_id": "+18004506787"}
    assert (await browser.post("/api/v1/leads", params=lead)).status_code == 200
    confirm_url = f"/schedules/{schedule.id}/regenerate_token"
    answer = await post_form(browser, confirm_url, confirm_url, {"confirm": "yes"})
    assert answer.status_code == 303
    new = (await _stored(app, schedule.id)).leads_api_key
    assert new != old
    assert (await browser.post("/api/v1/leads", params=lead)).status_code == 401
    lead["lead_token"] = new
    assert (await browser.post("/api/v1/leads", params=lead)).status_code == 200
    shown = await browser.get(answer.headers["location"])
    assert new in shown.text
    assert "the old one no longer works" in shown.text


async def test_another_companys_schedule_pages_are_not_found(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    other = await factory.schedule(await factory.tenant())
    for path in ("edit", "submit_leads_help"):
        answer = await browser.get(f"/schedules/{other.id}/{path}")
        assert answer.status_code == 404
        assert other.leads_api_key not in answer.text
    home = await browser.get("/")
    answer = await browser.post(
        f"/schedules/{other.id}/regenerate_token", data={"csrf_token": csrf_of(home.text)}
    )
    assert answer.status_code == 404
    assert (await browser.get("/schedules/not-a-number/edit")).status_code == 404
    listed = await browser.get("/schedules")
    assert other.name not in listed.text


async def test_dial_order_and_real_time_priority_are_edited_on_the_schedule_page(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    assert '<option value="fifo" selected>' in page.text

    saved = await browser.post(
        url, data=edit_form(page.text, dial_order="lifo", real_time_priority="2", op="save")
    )

    assert saved.status_code == 303
    stored = await _stored(app, schedule.id)
    assert (stored.dial_order, stored.real_time_priority) == ("lifo", 2)
    page = await browser.get(url)
    assert '<option value="lifo" selected>' in page.text
    refused = await browser.post(url, data=edit_form(page.text, dial_order="sideways", op="save"))
    assert refused.status_code == 422
    assert (await _stored(app, schedule.id)).dial_order == "lifo"
    cleared = await browser.post(url, data=edit_form(page.text, real_time_priority="", op="save"))
    assert cleared.status_code == 303
    assert (await _stored(app, schedule.id)).real_time_priority is None


async def test_regenerating_the_token_asks_for_confirmation_first(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    help_page = await browser.get(f"/schedules/{schedule.id}/submit_leads_help")
    confirm_url = f"/schedules/{schedule.id}/regenerate_token"
    assert f'href="{confirm_url}">Regenerate token' in help_page.text
    asked = await browser.get(confirm_url)
    assert "Are you sure?" in asked.text
    assert "the old one stops working at once" in asked.text
    unconfirmed = await post_form(browser, help_page.url.path, confirm_url, {})
    assert unconfirmed.headers["location"] == confirm_url
    assert (await _stored(app, schedule.id)).leads_api_key == schedule.leads_api_key


async def test_a_new_call_action_shows_its_ring_time_default_of_30_seconds(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "call"}])
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    assert re.search(
        r'id="a0.max_ring_seconds" name="a0.max_ring_seconds" type="text" value="30"', page.text
    )
    page = await browser.post(url, data=edit_form(page.text, op="add", new_action_type="call"))
    assert 'name="a1.max_ring_seconds" type="text" value="30"' in page.text


async def test_validation_messages_say_what_to_type_in_plain_words(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant, actions=[{"type": "call"}])
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    answer = await browser.post(
        url,
        data=edit_form(
            page.text, op="save", dial_order="sideways", lead_duplicate_timeframe="soon",
            **{"a0.max_ring_seconds": "2"},
        ),
    )  # fmt: skip
    assert answer.status_code == 422
    html = answer.text
    assert 'id="err-a0.max_ring_seconds">Enter 5 or more.<' in html
    assert 'id="err-dial_order">Choose one of fifo, lifo or random.<' in html
    assert 'id="err-lead_duplicate_timeframe">Enter a whole number.<' in html
    for jargon in ("Input should", "String should", "Field required", "valid integer"):
        assert jargon not in html


async def test_description_and_type_are_edited_on_the_schedule_page(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    url = f"/schedules/{schedule.id}/edit"
    page = await browser.get(url)
    assert '<option value="contact_caller" selected>' in page.text
    saved = await browser.post(
        url,
        data=edit_form(
            page.text,
            op="save",
            description="Leads from Facebook",
            schedule_type="lead_distribution",
        ),
    )
    assert saved.status_code == 303, saved.text
    stored = await _stored(app, schedule.id)
    assert (stored.description, stored.schedule_type) == (
        "Leads from Facebook",
        "lead_distribution",
    )
    page = await browser.get(url)
    assert ">Leads from Facebook</textarea>" in page.text
    refused = await browser.post(url, data=edit_form(page.text, op="save", schedule_type="bogus"))
    assert refused.status_code == 422
    assert (
        'id="err-schedule_type">Choose one of contact_caller or lead_distribution.<' in refused.text
    )
