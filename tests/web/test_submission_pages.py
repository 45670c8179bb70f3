"""Submitted leads in the web app: the list and its search, the lead page with each
submission's steps, the request sent and the buyer's answer (credentials masked), approve,
deliver and repost behind a confirmation, and a campaign's "send a test lead". The pipeline
runs against a real buyer on loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Submission, SubmittedLead
from leadflow.settings import Settings
from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint

# The pipeline tests' fixtures: a real buyer on loopback and the worker's job run by hand.
from tests.submissions.pipeline.conftest import buyer as buyer
from tests.submissions.pipeline.conftest import pipeline as pipeline
from tests.web.conftest import Person, csrf_of, make_person, post_form

REJECTED_JSON = Answer(200, '{"status": "rejected", "reason": "out of area"}')


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        login_failure_seconds=0.3,
        allow_loopback_urls=True,
    )


@pytest.fixture
async def person(app: FastAPI, pipeline: Pipeline) -> Person:
    """The signed-in user works for the pipeline's company."""
    return await make_person(app, pipeline.tenant)


def lead_body(code: str, **fields: Any) -> dict[str, Any]:
    return {
        "campaignId": code,
        "firstName": "jane",
        "lastName": "smith",
        "email": "Jane@Example.com",
        "phone": "(719) 313-2645",
        "address": {"street": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202"},
        "questionnaire": {"debt_type": "credit card"},
        **fields,
    }


async def submit(browser: httpx.AsyncClient, pipeline: Pipeline, code: str) -> str:
    """A lead posted to the API with the company's key, as a seller would."""
    key = f"{pipeline.tenant.public_key}.{pipeline.tenant.private_key}"
    answer = await browser.post(
        "/api/v1/leads/submit", json=lead_body(code), headers={"X-API-Key": key}
    )
    assert answer.status_code == 200, answer.text
    lead_id: str = answer.json()["leadId"]
    return lead_id


async def submissions_of(app: FastAPI, lead_id: str) -> list[Submission]:
    async with state_of(app).sessionmaker() as session:
        lead = (
            await session.scalars(select(SubmittedLead).where(SubmittedLead.uuid == lead_id))
        ).one()
        rows = await session.scalars(
            select(Submission).where(Submission.lead_id == lead.id).order_by(Submission.number)
        )
        return list(rows)


async def test_a_test_lead_shows_the_request_sent_and_the_buyers_answer(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    edit = f"/campaigns/{campaign.uuid}/edit"
    sent = await post_form(
        browser,
        edit,
        f"/campaigns/{campaign.uuid}/test_lead",
        {"test_lead": json.dumps(lead_body("x"))},
    )
    assert sent.status_code == 303, sent.text
    result_url = sent.headers["location"]
    waiting = await browser.get(result_url)
    assert 'http-equiv="refresh"' in waiting.text  # the page refreshes until the trip ends
    await pipeline.work()
    (request,) = buyer.received("/buy")
    assert json.loads(request.body)["first_name"] == "Jane"
    result = await browser.get(result_url)
    assert result.status_code == 200
    assert 'id="test-status">delivered' in result.text
    assert f'POST <code class="url">{buyer.url("/buy")}</code> (json)' in result.text
    assert "HTTP 200" in result.text
    assert "B-100" in result.text
    assert 'http-equiv="refresh"' not in result.text
    lead_id = result_url.rsplit("/", 1)[1]
    async with state_of(app).sessionmaker() as session:
        lead = (
            await session.scalars(select(SubmittedLead).where(SubmittedLead.uuid == lead_id))
        ).one()
    assert lead.is_test


async def test_a_bad_test_lead_shows_the_apis_messages(
    browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    edit = f"/campaigns/{campaign.uuid}/edit"
    refused = await post_form(
        browser, edit, f"/campaigns/{campaign.uuid}/test_lead", {"test_lead": '{"phone": "12"}'}
    )
    assert refused.status_code == 422
    assert "phone: must have at least 10 digits" in refused.text
    assert buyer.requests == []


async def test_a_submitted_lead_is_listed_searched_and_shown_with_its_delivery(
    browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    url = buyer.on("/buy", ACCEPTED_JSON) + "?api_key=buyer-secret-123&source=lf"
    campaign = await pipeline.campaign(endpoint=json_endpoint(url))
    lead_id = await submit(browser, pipeline, campaign.code)
    await pipeline.work()
    listed = await browser.get("/submissions")
    assert f'href="/leads/{lead_id}"' in listed.text
    assert "Jane Smith" in listed.text
    found = await browser.get("/submissions", params={"q": "jane@example"})
    assert f'href="/leads/{lead_id}"' in found.text
    missed = await browser.get("/submissions", params={"q": "nobody"})
    assert f'href="/leads/{lead_id}"' not in missed.text
    shown = await browser.get(f"/leads/{lead_id}")
    assert shown.status_code == 200
    assert "Submission 1 (original)" in shown.text
    assert "delivered" in shown.text
    assert "buyer-secret-123" not in shown.text
    assert "api_key=********&amp;source=lf" in shown.text
    assert "Try 1: HTTP 200" in shown.text


async def test_a_submitted_lead_is_found_by_the_leads_list_and_its_search(
    browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    lead_id = await submit(browser, pipeline, campaign.code)
    link = f'href="/leads/{lead_id}"'
    assert link in (await browser.get("/leads")).text
    found = await browser.get("/leads", params={"q": "jane@example"})
    assert link in found.text
    assert "Submitted leads matching" in found.text
    assert link not in (await browser.get("/leads", params={"q": "nobody"})).text
    # A filter only called leads have (their status) leaves submitted leads out.
    assert link not in (await browser.get("/leads", params={"status": "waiting"})).text


async def test_repost_asks_first_and_only_a_rejected_lead_is_reposted(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", REJECTED_JSON, ACCEPTED_JSON))
    )
    lead_id = await submit(browser, pipeline, campaign.code)
    await pipeline.work()
    page_url = f"/leads/{lead_id}"
    assert "out of area" in (await browser.get(page_url)).text
    asked = await post_form(browser, page_url, f"{page_url}/repost", {"modifiedPayload": ""})
    assert asked.status_code == 200
    assert "Yes, repost it" in asked.text
    assert len(await submissions_of(app, lead_id)) == 1
    done = await post_form(
        browser, page_url, f"{page_url}/repost", {"confirmed": "1", "modifiedPayload": ""}
    )
    assert done.headers["location"] == f"{page_url}?done=repost"
    await pipeline.work()
    statuses = [(s.type, s.status) for s in await submissions_of(app, lead_id)]
    assert statuses == [("original", "rejected"), ("repost", "delivered")]
    again = await post_form(
        browser, page_url, f"{page_url}/repost", {"confirmed": "1", "modifiedPayload": ""}
    )
    assert again.status_code == 409
    assert "only failed, rejected or error leads can be reposted" in again.text


async def test_a_repost_with_a_bad_change_is_refused_by_the_apis_rule(
    browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", REJECTED_JSON)))
    lead_id = await submit(browser, pipeline, campaign.code)
    await pipeline.work()
    page_url = f"/leads/{lead_id}"
    change = json.dumps({"address": {"zip": "nope"}})
    refused = await post_form(
        browser, page_url, f"{page_url}/repost", {"confirmed": "1", "modifiedPayload": change}
    )
    assert refused.status_code == 422
    assert "modifiedPayload.address.zip" in refused.text


async def test_deliver_sends_the_lead_to_the_chosen_campaign_after_a_confirmation(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    first = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/first", REJECTED_JSON)))
    other = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/other", ACCEPTED_JSON)))
    lead_id = await submit(browser, pipeline, first.code)
    await pipeline.work()
    page_url = f"/leads/{lead_id}"
    asked = await post_form(browser, page_url, f"{page_url}/deliver", {"campaignId": other.code})
    assert "without qualifying it" in asked.text
    assert other.code in asked.text
    assert buyer.received("/other") == []
    done = await post_form(
        browser, page_url, f"{page_url}/deliver", {"confirmed": "1", "campaignId": other.code}
    )
    assert done.headers["location"] == f"{page_url}?done=deliver"
    await pipeline.work()
    assert len(buyer.received("/other")) == 1
    assert [s.type for s in await submissions_of(app, lead_id)] == ["original", "manual"]


async def test_approval_is_recorded_and_a_bad_one_refused(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    lead_id = await submit(browser, pipeline, campaign.code)
    page_url = f"/leads/{lead_id}"
    data = {"status": "rejected", "reason": "wrong number"}
    done = await post_form(browser, page_url, f"{page_url}/approve", data)
    assert done.headers["location"] == f"{page_url}?done=approve"
    assert "rejected: wrong number" in (await browser.get(page_url)).text
    refused = await post_form(browser, page_url, f"{page_url}/approve", {"status": "maybe"})
    assert refused.status_code == 422
    assert "status:" in refused.text


async def test_another_companys_submitted_lead_is_not_found(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    theirs = await make_person(app, await pipeline.factory.tenant())
    assert theirs.tenant is not pipeline.tenant
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    lead_id = await submit(browser, pipeline, campaign.code)
    async with state_of(app).sessionmaker() as session:
        lead = (
            await session.scalars(select(SubmittedLead).where(SubmittedLead.uuid == lead_id))
        ).one()
        lead.company_id = theirs.tenant.company.id
        await session.commit()
    assert (await browser.get(f"/leads/{lead_id}")).status_code == 404


async def test_every_submission_form_refuses_a_missing_csrf_token(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", REJECTED_JSON)))
    lead_id = await submit(browser, pipeline, campaign.code)
    await pipeline.work()
    page = await browser.get(f"/leads/{lead_id}")
    assert csrf_of(page.text)
    for operation, data in (
        ("approve", {"status": "approved"}),
        ("deliver", {"confirmed": "1", "campaignId": campaign.code}),
        ("repost", {"confirmed": "1"}),
    ):
        answer = await browser.post(f"/leads/{lead_id}/{operation}", data=data)
        assert answer.status_code == 403, operation
    assert len(await submissions_of(app, lead_id)) == 1
