"""The campaign form's rows: rules, dynamic keys, field qualification, value sets, the
endpoint's authentication and response mapping are typed as fields (no JSON), what the API
stores is what was typed, the API's messages land beside the row they are about, secrets are
masked and kept, and a part nobody touched is saved exactly as it was."""

from __future__ import annotations

from typing import Any

import httpx
import lxml.html
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import NoResultFound

from tests.web.conftest import Person, post_form
from tests.web.test_campaign_pages import campaign_form, create, settings, stored

__all__ = ["settings"]  # the campaign pages' settings fixture (loopback buyers allowed)

SECRET = "Bearer rows-s3cret"
CLIENT_SECRET = "client-s3cret"


def api_key(person: Person) -> dict[str, str]:
    return {"X-API-Key": f"{person.tenant.public_key}.{person.tenant.private_key}"}


async def through_api(browser: httpx.AsyncClient, person: Person, ref: str) -> dict[str, Any]:
    """The campaign as the campaigns API shows it."""
    answer = await browser.get(f"/api/v1/campaigns/{ref}", headers=api_key(person))
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def as_shown(html: str) -> dict[str, str]:
    """The campaign form's fields as a browser would submit them untouched."""
    forms = lxml.html.fromstring(html).forms
    form = next(f for f in forms if str(f.get("action")).endswith(("/edit", "/campaigns/new")))
    return dict(form.form_values())


async def other_campaign(browser: httpx.AsyncClient) -> None:
    assert (await create(browser, code="other", name="Other")).status_code == 303


def rule_rows() -> dict[str, str]:
    """A routing rule and a disqualification rule typed as rows, with empty rows around."""
    return {
        "routingRules.count": "2",
        "routingRules.0.name": "West coast",
        "routingRules.0.priority": "2",
        "routingRules.0.logic": "or",
        "routingRules.0.active": "on",
        "routingRules.0.targetCampaignId": "other",
        "routingRules.0.condition_count": "3",
        "routingRules.0.c0.field": "address.state",
        "routingRules.0.c0.operator": "in_set",
        "routingRules.0.c0.value": "CA, OR",
        "routingRules.0.c2.field": "questionnaire.vip",
        "routingRules.0.c2.operator": "exists",
        "routingRules.0.c2.value": "",
        "routingRules.1.active": "on",
        "routingRules.1.condition_count": "2",
        "disqualificationRules.count": "1",
        "disqualificationRules.0.name": "Too young",
        "disqualificationRules.0.reason": "under 18",
        "disqualificationRules.0.active": "",
        "disqualificationRules.0.condition_count": "1",
        "disqualificationRules.0.c0.field": "age",
        "disqualificationRules.0.c0.operator": "less_than",
        "disqualificationRules.0.c0.value": "18",
    }


async def test_rules_typed_as_rows_are_stored_as_the_api_takes_them(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    await other_campaign(browser)
    answer = await create(browser, **rule_rows())
    assert answer.status_code == 303, answer.text
    shown = await through_api(browser, signed_in, (await stored(app)).uuid)
    assert shown["routingRules"] == [
        {
            "name": "West coast",
            "priority": 2,
            "active": True,
            "logic": "or",
            "targetCampaignId": "other",
            "conditions": [
                {"field": "address.state", "operator": "in_set", "value": ["CA", "OR"]},
                {"field": "questionnaire.vip", "operator": "exists", "value": None},
            ],
        }
    ]
    assert shown["disqualificationRules"] == [
        {
            "name": "Too young",
            "priority": 0,
            "active": False,  # its box was not ticked
            "logic": "and",
            "reason": "under 18",
            "conditions": [{"field": "age", "operator": "less_than", "value": "18"}],
        }
    ]
    page = (await browser.get(f"/campaigns/{(await stored(app)).uuid}/edit")).text
    assert (
        'id="routingRules.0.c0.value" name="routingRules.0.c0.value" type="text" value="CA, OR"'
        in page
    )


async def test_a_row_ticked_for_removal_is_removed_and_the_others_kept(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    await other_campaign(browser)
    assert (await create(browser, **rule_rows())).status_code == 303
    campaign = await stored(app)
    url = f"/campaigns/{campaign.uuid}/edit"
    page = (await browser.get(url)).text
    assert 'name="routingRules.1.remove"' not in page  # the empty row has nothing to remove
    removed = {**as_shown(page), "routingRules.0.remove": "on"}
    assert (await post_form(browser, url, url, removed)).status_code == 303
    shown = await through_api(browser, signed_in, campaign.uuid)
    assert shown["routingRules"] == []
    assert [rule["name"] for rule in shown["disqualificationRules"]] == ["Too young"]


async def test_keys_qualification_and_value_sets_typed_as_rows_are_stored(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    rows = {
        "dynamicKeys.count": "3",
        "dynamicKeys.0.key": "full_name",
        "dynamicKeys.0.kind": "template",
        "dynamicKeys.0.template": "{{ firstName }} {{ lastName }}",
        "dynamicKeys.1.key": "tier",
        "dynamicKeys.1.kind": "lookup",
        "dynamicKeys.1.source": "address.state",
        "dynamicKeys.1.table": "CA = gold\nNY = silver\n",
        "dynamicKeys.1.default": "bronze",
        "fieldQualification.count": "2",
        "fieldQualification.0.field": "address.state",
        "fieldQualification.0.required": "on",
        "fieldQualification.0.valueSet": "states",
        "fieldQualification.0.acceptedValues": "DC\n",
        "fieldQualification.0.synonyms": "DC: Washington, District of Columbia",
        "fieldQualification.0.fuzzyThreshold": "90",
        "valueSets.count": "2",
        "valueSets.0.name": "states",
        "valueSets.0.values": "CA\nNY\n",
    }
    assert (await create(browser, **rows)).status_code == 303
    shown = await through_api(browser, signed_in, (await stored(app)).uuid)
    assert shown["dynamicKeys"] == [
        {
            "key": "full_name",
            "kind": "template",
            "source": None,
            "table": {},
            "default": None,
            "template": "{{ firstName }} {{ lastName }}",
        },
        {
            "key": "tier",
            "kind": "lookup",
            "source": "address.state",
            "table": {"CA": "gold", "NY": "silver"},
            "default": "bronze",
            "template": None,
        },
    ]
    assert shown["fieldQualification"] == [
        {
            "field": "address.state",
            "required": True,
            "acceptedValues": ["DC"],
            "valueSet": "states",
            "synonyms": {"DC": ["Washington", "District of Columbia"]},
            "fuzzyThreshold": 90.0,
            "formattingInstructions": None,
        }
    ]
    assert shown["valueSets"] == {"states": ["CA", "NY"]}


async def test_the_apis_messages_are_shown_beside_the_row_they_are_about(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    await other_campaign(browser)
    rows = {
        **rule_rows(),
        "routingRules.0.c0.field": "",  # a value with no field
        "routingRules.0.targetCampaignId": "",
        "dynamicKeys.count": "2",
        "dynamicKeys.0.key": "broken",
        "dynamicKeys.0.template": "{{ firstName",
        "dynamicKeys.1.key": "tier",
        "dynamicKeys.1.kind": "lookup",
        "dynamicKeys.1.source": "address.state",
        "dynamicKeys.1.table": "CA gold",
        "fieldQualification.count": "1",
        "fieldQualification.0.field": "address.state",
        "fieldQualification.0.valueSet": "nowhere",
        "fieldQualification.0.fuzzyThreshold": "200",
        "endpoint.auth.kind": "oauth2_client_credentials",
        "endpoint.auth.tokenUrl": "not a url",
        "endpoint.response.match": "sometimes",
    }
    # A table line that is not "answer = value" is named before anything reaches the API.
    refused = await create(browser, **rows)
    assert refused.status_code == 422
    assert 'id="err-dynamicKeys.1.table">line 1:' in refused.text
    rows["dynamicKeys.1.table"] = "CA = gold"
    answer = await create(browser, **rows)
    assert answer.status_code == 422
    text = answer.text
    for field in (
        "routingRules.0.c0.field",
        "routingRules.0.targetCampaignId",
        "dynamicKeys.0.template",
        "fieldQualification.0.fuzzyThreshold",
        "endpoint.auth.tokenUrl",
        "endpoint.auth.clientId",
        "endpoint.auth.clientSecret",
        "endpoint.response.match",
    ):
        assert f'id="err-{field}">' in text, field
    # Every message sits beside a field: none at the top, none under a whole list.
    for blob in ("base", "routingRules", "dynamicKeys", "fieldQualification", "endpoint.auth"):
        assert f'id="err-{blob}">' not in text, blob
    assert 'aria-describedby="err-routingRules.0.c0.field"' in text
    # A check of the whole document names its row too.
    only_the_set = await create(
        browser,
        **{
            "fieldQualification.count": "1",
            "fieldQualification.0.field": "address.state",
            "fieldQualification.0.valueSet": "nowhere",
        },
    )
    assert only_the_set.status_code == 422
    assert 'id="err-fieldQualification.0.valueSet">valueSet &#39;nowhere&#39;' in only_the_set.text
    with pytest.raises(NoResultFound):
        await stored(app)


async def test_authentication_secrets_are_masked_kept_when_blank_and_replaced_when_typed(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    static = {
        "endpoint.auth.kind": "static",
        "endpoint.auth.header_count": "2",
        "endpoint.auth.h0.name": "X-Api-Token",
        "endpoint.auth.h0.value": SECRET,
    }
    assert (await create(browser, **static)).status_code == 303
    campaign = await stored(app)
    url = f"/campaigns/{campaign.uuid}/edit"
    page = (await browser.get(url)).text
    assert SECRET not in page
    assert 'name="endpoint.auth.h0.value.kept" value="1"' in page
    kept = {**as_shown(page), "name": "Renamed"}
    assert (await post_form(browser, url, url, kept)).status_code == 303
    assert (await stored(app)).config["endpoint"]["auth"]["headers"] == {"X-Api-Token": SECRET}
    assert (await through_api(browser, signed_in, campaign.uuid))["endpoint"]["auth"] == {
        "kind": "static",
        "headers": {"X-Api-Token": "********"},
    }
    moved = {**as_shown(page), "endpoint.url": "http://127.0.0.2:9/leads"}
    refused = await post_form(browser, url, url, moved)
    assert refused.status_code == 422
    assert 'id="err-endpoint.auth.h0.value">re-enter this secret' in refused.text
    typed = {**as_shown(page), "endpoint.auth.h0.value": "Bearer typed-again"}
    assert (await post_form(browser, url, url, typed)).status_code == 303
    assert (await stored(app)).config["endpoint"]["auth"]["headers"] == {
        "X-Api-Token": "Bearer typed-again"
    }
    oauth = {
        **as_shown(page),
        "endpoint.auth.kind": "oauth2_client_credentials",
        "endpoint.auth.tokenUrl": "http://127.0.0.1:9/token",
        "endpoint.auth.clientId": "leadflow",
        "endpoint.auth.clientSecret": CLIENT_SECRET,
    }
    assert (await post_form(browser, url, url, oauth)).status_code == 303
    page = (await browser.get(url)).text
    assert CLIENT_SECRET not in page
    again = {**as_shown(page), "endpoint.auth.scope": "leads"}
    assert (await post_form(browser, url, url, again)).status_code == 303
    auth = (await stored(app)).config["endpoint"]["auth"]
    assert (auth["clientSecret"], auth["scope"]) == (CLIENT_SECRET, "leads")


async def test_the_response_mapping_is_named_fields(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    mapping = {
        "endpoint.response.bodyFormat": "xml",
        "endpoint.response.statusPath": "//result",
        "endpoint.response.match": "contains",
        "endpoint.response.acceptedTerms": "sold, ok",
        "endpoint.response.rejectedTerms": "declined",
        "endpoint.response.duplicateTerms": "",
        "endpoint.response.reasonPath": "//why",
        "endpoint.response.leadIdPath": "//id",
    }
    assert (await create(browser, **mapping)).status_code == 303
    shown = await through_api(browser, signed_in, (await stored(app)).uuid)
    assert shown["endpoint"]["response"] == {
        "bodyFormat": "xml",
        "statusPath": "//result",
        "match": "contains",
        "acceptedTerms": ["sold", "ok"],
        "rejectedTerms": ["declined"],
        "duplicateTerms": [],
        "reasonPath": "//why",
        "leadIdPath": "//id",
    }


async def test_a_part_left_untouched_is_saved_exactly_as_it_was(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    """Set through the API: a number in a condition, a nested group, a lookup table of
    numbers. Editing one row on the page changes that row and nothing else."""
    await other_campaign(browser)
    nested = {"logic": "or", "conditions": [{"field": "a", "operator": "equals", "value": 1}]}
    body = {
        "name": "Auto buyer",
        "code": "auto",
        "routingRules": [
            {
                "name": "Big debts",
                "targetCampaignId": "other",
                "conditions": [
                    {"field": "debt", "operator": "greater_than", "value": 10000},
                    nested,
                ],
            }
        ],
        "disqualificationRules": [
            {
                "name": "Texas",
                "conditions": [{"field": "state", "operator": "equals", "value": "TX"}],
            }
        ],
        "dynamicKeys": [{"key": "score", "kind": "lookup", "source": "s", "table": {"a": 1}}],
    }
    made = await browser.post("/api/v1/campaigns", json=body, headers=api_key(signed_in))
    assert made.status_code == 201, made.text
    before = await through_api(browser, signed_in, "auto")
    url = f"/campaigns/{before['id']}/edit"
    page = (await browser.get(url)).text
    edited = {**as_shown(page), "disqualificationRules.0.c0.value": "OK"}
    assert (await post_form(browser, url, url, edited)).status_code == 303, "not saved"
    after = await through_api(browser, signed_in, "auto")
    assert after["routingRules"] == before["routingRules"]  # 10000 still a number, group kept
    assert after["dynamicKeys"] == before["dynamicKeys"]
    assert after["disqualificationRules"][0]["conditions"][0]["value"] == "OK"
    # Editing the rule that holds the group keeps the group after the typed conditions.
    edited = {**as_shown((await browser.get(url)).text), "routingRules.0.c0.value": "5000"}
    assert (await post_form(browser, url, url, edited)).status_code == 303
    conditions = (await through_api(browser, signed_in, "auto"))["routingRules"][0]["conditions"]
    assert conditions == [
        {"field": "debt", "operator": "greater_than", "value": "5000"},
        nested,
    ]


async def test_more_empty_rows_shows_the_form_again_and_saves_nothing(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    typed = campaign_form(
        **{
            "op": "rows",
            "valueSets.count": "1",
            "valueSets.0.name": "states",
            "valueSets.0.values": "CA",
        }
    )
    answer = await post_form(browser, "/campaigns/new", "/campaigns/new", typed)
    assert answer.status_code == 200
    assert 'name="valueSets.0.name" type="text" value="states"' in answer.text
    assert 'name="valueSets.1.name" type="text" value=""' in answer.text
    with pytest.raises(NoResultFound):
        await stored(app)
