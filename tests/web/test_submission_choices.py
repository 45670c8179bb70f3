"""A submitted lead's approve and deliver forms choose nothing for the user: their selects start
at "Choose…", are required, and an empty choice is refused next to its form with nothing done."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.submissions.pipeline.buyer import Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint
from tests.submissions.pipeline.conftest import buyer as buyer
from tests.submissions.pipeline.conftest import pipeline as pipeline
from tests.web.conftest import Person, post_form
from tests.web.test_submission_pages import person as person
from tests.web.test_submission_pages import settings as settings
from tests.web.test_submission_pages import submissions_of, submit


async def test_the_approve_and_deliver_selects_start_at_choose(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    lead_id = await submit(browser, pipeline, campaign.code)
    shown = (await browser.get(f"/leads/{lead_id}")).text
    assert '<select id="status" name="status" required>' in shown
    assert '<select id="campaignId" name="campaignId" required>' in shown
    assert shown.count('<option value="" selected>Choose…</option>') == 2
    assert f'<option value="{campaign.code}">' in shown  # offered, not preselected


async def test_an_empty_choice_is_refused_and_changes_nothing(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    lead_id = await submit(browser, pipeline, campaign.code)
    await pipeline.work()
    page_url = f"/leads/{lead_id}"
    deliver = await post_form(
        browser, page_url, f"{page_url}/deliver", {"confirmed": "1", "campaignId": ""}
    )
    assert deliver.status_code == 422
    assert "campaignId: choose the campaign to deliver to" in deliver.text
    assert [s.type for s in await submissions_of(app, lead_id)] == ["original"]
    approve = await post_form(browser, page_url, f"{page_url}/approve", {"status": ""})
    assert approve.status_code == 422
    assert "status:" in approve.text
    assert '<option value="" selected>Choose…</option>' in approve.text
