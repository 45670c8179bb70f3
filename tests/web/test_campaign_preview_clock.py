"""The campaign page's payload preview reads "today" from the app's one clock, as the
submission API does: a sample lead born "tomorrow" by that clock is refused in both."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from leadflow.clock import FrozenClock
from tests.web.conftest import Person, post_form
from tests.web.test_campaign_pages import campaign_form, create, settings, stored

__all__ = ["settings"]  # the campaign pages' settings fixture (a session secret)


async def test_the_preview_judges_date_of_birth_by_the_app_clock(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, clock: FrozenClock
) -> None:
    assert (await create(browser)).status_code == 303
    url = f"/campaigns/{(await stored(app)).uuid}/edit"
    sample = {
        "firstName": "jane",
        "lastName": "smith",
        "email": "jane@example.com",
        "phone": "+17193132645",
        "dateOfBirth": "2026-01-06",  # the day after the frozen clock's today, long past by now
        "address": {"street": "1 Main St", "city": "Austin", "state": "tx", "zip": "73301"},
    }
    form = {**campaign_form(), "op": "preview", "sample_lead": json.dumps(sample)}
    refused = await post_form(browser, url, url, form)
    assert refused.status_code == 422
    assert "dateOfBirth: must not be in the future" in refused.text
    clock.advance(days=1)
    accepted = await post_form(browser, url, url, form)
    assert accepted.status_code == 200, accepted.text
