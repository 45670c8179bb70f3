"""Campaign pages: every part of a campaign is set through the campaigns API's own service,
its 422 messages are shown next to the fields, secrets never reach the page, the payload
preview is built by the pipeline's builder, and the field library is edited."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Campaign, FieldLabel
from leadflow.settings import Settings
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, post_form

SECRET = "Bearer s3cret-never-shown"


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


def campaign_form(**overrides: str) -> dict[str, str]:
    """The new-campaign form as a person fills it in."""
    form = {
        "name": "Auto buyer",
        "code": "auto",
        "status": "active",
        "timeZone": "America/Chicago",
        "duplicateWindowDays": "30",
        "autoRouting": "on",
        "requiredFields": "address.state\nphone",
        "fallbackCampaignIds": "",
        "disqualificationRules.count": "2",
        "disqualificationRules.0.name": "Excluded states",
        "disqualificationRules.0.active": "on",
        "disqualificationRules.0.logic": "and",
        "disqualificationRules.0.reason": "no license",
        "disqualificationRules.0.condition_count": "2",
        "disqualificationRules.0.c0.field": "address.state",
        "disqualificationRules.0.c0.operator": "equals",
        "disqualificationRules.0.c0.value": "NY",
        "endpoint.url": "http://127.0.0.1:9/leads",
        "endpoint.method": "POST",
        "endpoint.bodyFormat": "json",
        "endpoint.xmlRoot": "lead",
        "endpoint.timeoutSeconds": "5",
        "endpoint.maxRetries": "1",
        "header_count": "2",
        "header.0.name": "Authorization",
        "header.0.value": SECRET,
        "header.1.name": "X-Source",
        "header.1.value": "leadflow",
        "endpoint.payload": json.dumps(
            [
                {"clientKey": "first_name", "sourceKey": "firstName", "required": True},
                {"clientKey": "state", "sourceKey": "address.state"},
            ]
        ),
        "endpoint.response.statusPath": "$.status",
        "endpoint.auth.kind": "",
        "caps.daily": "100",
        "caps.lifetime": "",
        "caps.onCap.action": "queue",
        "caps.onCap.targetCampaignId": "",
        "hours.enabled": "on",
        "hours.days.monday.open": "09:00",
        "hours.days.monday.close": "17:00",
        "hours.offHours.action": "queue",
        "hours.offHours.targetCampaignId": "",
        "aiQualifier": "null",
        "pixels": "[]",
        "firstSubmissionAction": "null",
    }
    form.update(overrides)
    return form


async def stored(app: FastAPI, code: str = "auto") -> Campaign:
    async with state_of(app).sessionmaker() as session:
        return (await session.scalars(select(Campaign).where(Campaign.code == code))).one()


async def create(browser: httpx.AsyncClient, **overrides: str) -> httpx.Response:
    return await post_form(browser, "/campaigns/new", "/campaigns/new", campaign_form(**overrides))


async def test_a_campaign_is_created_with_every_part_and_listed(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await create(browser)
    assert answer.status_code == 303, answer.text
    campaign = await stored(app)
    assert answer.headers["location"] == f"/campaigns/{campaign.uuid}/edit?saved=1"
    config: dict[str, Any] = campaign.config
    assert campaign.time_zone == "America/Chicago"
    assert config["requiredFields"] == ["address.state", "phone"]
    assert config["disqualificationRules"][0]["reason"] == "no license"
    assert config["endpoint"]["headers"] == {"Authorization": SECRET, "X-Source": "leadflow"}
    assert config["endpoint"]["maxRetries"] == 1
    assert config["caps"]["daily"] == 100
    assert config["hours"]["days"] == {"monday": {"open": "09:00", "close": "17:00"}}
    listed = await browser.get("/campaigns")
    assert "Auto buyer" in listed.text
    assert "http://127.0.0.1:9/leads" in listed.text


async def test_the_apis_messages_are_shown_next_to_each_field(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await create(
        browser,
        code="no spaces",
        **{
            "caps.daily": "-1",
            "hours.days.monday.open": "18:00",
            "routingRules.count": "1",
            "routingRules.0.name": "x",
            "pixels": "[not json",
        },
    )
    assert answer.status_code == 422
    # JSON that does not parse is named before anything is sent to the service.
    assert 'id="err-pixels">is not JSON' in answer.text
    fixed = await create(
        browser,
        code="no spaces",
        **{
            "caps.daily": "-1",
            "hours.days.monday.open": "18:00",
            "routingRules.count": "1",
            "routingRules.0.name": "x",
        },
    )
    assert fixed.status_code == 422
    assert 'id="err-code">must be letters, digits' in fixed.text
    assert 'id="err-caps.daily">' in fixed.text
    assert 'id="err-hours.days.monday">' in fixed.text
    assert "open must be before close" in fixed.text
    assert 'id="err-routingRules.0.targetCampaignId">is required' in fixed.text
    async with state_of(app).sessionmaker() as session:
        assert (await session.scalars(select(Campaign))).all() == []


async def test_secret_headers_are_masked_kept_when_blank_and_replaced_when_typed(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    assert (await create(browser)).status_code == 303
    campaign = await stored(app)
    url = f"/campaigns/{campaign.uuid}/edit"
    page = await browser.get(url)
    assert SECRET not in page.text
    # PostgreSQL's jsonb keeps its own key order: find the row the page put the secret in.
    row = re.search(r'name="header\.(\d)\.secret" value="1"', page.text)
    assert row, "the secret header is not marked as kept"
    assert 'value="leadflow"' in page.text  # a header that is not a credential is shown
    kept = campaign_form(**{"header.0.value": "", "header.0.secret": "1", "name": "Renamed"})
    assert (await post_form(browser, url, url, kept)).status_code == 303
    assert (await stored(app)).config["endpoint"]["headers"]["Authorization"] == SECRET
    assert (await stored(app)).name == "Renamed"
    changed = campaign_form(**{"header.0.value": "Bearer new"})
    assert (await post_form(browser, url, url, changed)).status_code == 303
    assert (await stored(app)).config["endpoint"]["headers"]["Authorization"] == "Bearer new"


async def test_a_kept_secret_is_refused_when_the_url_moves_to_another_host(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    assert (await create(browser)).status_code == 303
    url = f"/campaigns/{(await stored(app)).uuid}/edit"
    moved = campaign_form(
        **{"header.0.value": "", "header.0.secret": "1", "endpoint.url": "http://127.0.0.2:9/leads"}
    )
    answer = await post_form(browser, url, url, moved)
    assert answer.status_code == 422
    assert re.search(r'id="err-header\.\d\.value">re-enter this secret', answer.text)
    assert (await stored(app)).config["endpoint"]["headers"]["Authorization"] == SECRET


async def test_the_payload_preview_is_built_from_the_sample_lead(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    assert (await create(browser)).status_code == 303
    url = f"/campaigns/{(await stored(app)).uuid}/edit"
    sample = {
        "firstName": "jane",
        "lastName": "smith",
        "email": "jane@example.com",
        "phone": "+17193132645",
        "address": {"street": "1 Main St", "city": "Austin", "state": "tx", "zip": "73301"},
    }
    answer = await post_form(
        browser, url, url, {**campaign_form(), "op": "preview", "sample_lead": json.dumps(sample)}
    )
    assert answer.status_code == 200, answer.text
    assert "&#34;first_name&#34;: &#34;Jane&#34;" in answer.text  # normalised as a submission is
    assert "&#34;state&#34;: &#34;TX&#34;" in answer.text
    tree = json.dumps([{"clientKey": "dob", "sourceKey": "questionnaire.dob", "required": True}])
    missing = await post_form(
        browser,
        url,
        url,
        {
            **campaign_form(**{"endpoint.payload": tree}),
            "op": "preview",
            "sample_lead": json.dumps(sample),
        },
    )
    assert missing.status_code == 422
    assert 'id="err-endpoint.payload">dob' in missing.text
    refused = await post_form(
        browser, url, url, {**campaign_form(), "op": "preview", "sample_lead": "{}"}
    )
    assert 'id="err-sample_lead">email: is required' in refused.text


async def test_references_to_other_campaigns_are_checked(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await create(browser, fallbackCampaignIds="nobody")
    assert answer.status_code == 422
    assert "0: no campaign &#39;nobody&#39; in your company" in answer.text
    assert (await create(browser, code="other", name="Other")).status_code == 303
    assert (await create(browser, fallbackCampaignIds="other")).status_code == 303
    assert (await stored(app)).config["fallbackCampaignIds"] == ["other"]


async def test_deleting_asks_first_and_archives_a_campaign_others_name(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    assert (await create(browser, code="other", name="Other")).status_code == 303
    assert (await create(browser, fallbackCampaignIds="other")).status_code == 303
    other = await stored(app, "other")
    edit = f"/campaigns/{other.uuid}/edit"
    asked = await post_form(browser, edit, f"/campaigns/{other.uuid}/delete", {})
    assert asked.status_code == 200
    assert "archived" in asked.text
    assert (await stored(app, "other")).status == "active"
    done = await post_form(browser, edit, f"/campaigns/{other.uuid}/delete", {"confirmed": "1"})
    assert done.headers["location"] == "/campaigns?archived=1"
    assert (await stored(app, "other")).status == "archived"


async def test_the_field_library_is_edited_and_checked(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    rows = {"row_count": "2", "row.0.key": "dob", "row.0.label": "Date of Birth"}
    saved = await post_form(browser, "/field_library", "/field_library", rows)
    assert saved.headers["location"] == "/field_library?saved=1"
    assert 'value="Date of Birth"' in (await browser.get("/field_library")).text
    refused = await post_form(
        browser, "/field_library", "/field_library", {**rows, "row.1.key": "injury"}
    )
    assert refused.status_code == 422
    assert "label must be text of 1 to 500 characters" in refused.text
    async with state_of(app).sessionmaker() as session:
        labels = (await session.scalars(select(FieldLabel))).all()
    assert [(label.key, label.label) for label in labels] == [("dob", "Date of Birth")]


async def test_another_companys_campaign_is_not_found(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    assert (await create(browser)).status_code == 303
    campaign = await stored(app)
    async with state_of(app).sessionmaker() as session:
        other = await factory.tenant()
        found = await session.get(Campaign, campaign.id)
        assert found is not None
        found.company_id = other.company.id
        await session.commit()
    assert (await browser.get(f"/campaigns/{campaign.uuid}/edit")).status_code == 404


@pytest.mark.parametrize(
    ("page_url", "action"),
    [
        ("/campaigns/new", "/campaigns/new"),
        ("/field_library", "/field_library"),
    ],
)
async def test_every_campaign_form_refuses_a_missing_csrf_token(
    browser: httpx.AsyncClient, signed_in: Person, page_url: str, action: str
) -> None:
    opened = await browser.get(page_url)
    assert csrf_of(opened.text)
    answer = await browser.post(action, data={"name": "x"})
    assert answer.status_code == 403
    assert "Form expired" in answer.text


async def test_campaign_edit_test_lead_and_delete_forms_refuse_a_missing_csrf_token(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    assert (await create(browser)).status_code == 303
    ref = (await stored(app)).uuid
    for action in ("edit", "delete", "test_lead"):
        answer = await browser.post(f"/campaigns/{ref}/{action}", data={"confirmed": "1"})
        assert answer.status_code == 403, action
    # The form's other buttons (more empty rows, preview) post the same form: refused too.
    for op in ("rows", "preview"):
        for action in ("/campaigns/new", f"/campaigns/{ref}/edit"):
            answer = await browser.post(action, data={**campaign_form(name="Changed"), "op": op})
            assert answer.status_code == 403, (op, action)
    assert (await stored(app)).status == "active"
    assert (await stored(app)).name == "Auto buyer"
