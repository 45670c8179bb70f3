"""Steps 1 to 5 through the worker: routing, DQ rules, dynamic keys, required fields and
field qualification decide whether and where a lead is delivered."""

from __future__ import annotations

import orjson

from tests.submissions.pipeline.buyer import Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint


def rule(field: str, operator: str, value: object, **extra: object) -> dict[str, object]:
    return {"conditions": [{"field": field, "operator": operator, "value": value}], **extra}


async def test_routing_rule_sends_the_lead_to_its_target_where_it_is_requalified(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    texas = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/texas", ACCEPTED_JSON)),
        requiredFields=["address.zip"],
    )
    general = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/general", ACCEPTED_JSON)),
        routingRules=[
            rule("address.state", "equals", "tx", name="Texans", targetCampaignId=texas.uuid)
        ],
    )
    routed = await pipeline.submit(general, address={"state": "TX", "zip": "75001"})
    stayed = await pipeline.submit(general, phone="+12125550199", email="c@example.com")

    await pipeline.work()

    submission = await pipeline.submission(routed)
    assert submission.status == "delivered"
    assert submission.routing == {
        "wasRouted": True,
        "originalCampaignId": general.uuid,
        "routedToCampaignId": texas.uuid,
        "routingRuleName": "Texans",
    }
    assert submission.delivery["campaignId"] == texas.uuid
    assert len(buyer.received("/texas")) == 1
    other = await pipeline.submission(stayed)
    assert other.routing["wasRouted"] is False
    assert other.delivery["campaignId"] == general.uuid
    assert len(buyer.received("/general")) == 1


async def test_a_routed_lead_failing_the_targets_rules_is_disqualified_there(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    strict = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/strict", ACCEPTED_JSON)), requiredFields=["income"]
    )
    general = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/general", ACCEPTED_JSON)),
        routingRules=[
            rule("address.state", "equals", "CO", name="CO", targetCampaignId=strict.code)
        ],
    )
    row = await pipeline.submit(general)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "disqualified"
    assert submission.qualification["reason"] == "missing required fields: income"
    assert buyer.requests == []


async def test_disqualification_reason_names_the_matching_rule(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        disqualificationRules=[
            rule("address.state", "in_set", "NY, CO", name="Excluded states", reason="no license"),
            rule("age", "less_than", 18, name="Minors"),
        ],
    )
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "disqualified"
    assert submission.qualification == {
        "passed": False,
        "score": 0.0,
        "method": "rules",
        "reason": "disqualified by 'Excluded states': no license",
    }
    assert (await pipeline.lead(row)).status == "disqualified"
    assert buyer.requests == []


async def test_dynamic_keys_feed_qualification_and_the_payload(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    endpoint = json_endpoint(
        buyer.on("/buy", ACCEPTED_JSON),
        payload=[
            {"clientKey": "age", "sourceKey": "age", "type": "number"},
            {"clientKey": "state", "sourceKey": "derivedState"},
        ],
    )
    campaign = await pipeline.campaign(
        endpoint=endpoint,
        dynamicKeys=[
            {"key": "age", "kind": "age"},
            {"key": "derivedState", "kind": "state_from_zip"},
        ],
        fieldQualification=[{"field": "derivedState", "acceptedValues": ["CO", "UT"]}],
    )
    western = await pipeline.submit(campaign)
    eastern = await pipeline.submit(
        campaign,
        phone="+12125550155",
        email="ny@example.com",
        address={"street": "1 Broadway", "city": "New York", "state": "CO", "zip": "10004"},
    )

    await pipeline.work()

    assert (await pipeline.submission(western)).status == "delivered"
    assert orjson.loads(buyer.received("/buy")[0].body) == {"age": 45, "state": "CO"}
    submission = await pipeline.submission(eastern)
    assert submission.status == "disqualified"
    assert submission.qualification["reason"] == "derivedState: 'NY' is not an accepted value"


async def test_missing_required_fields_are_each_named(pipeline: Pipeline, buyer: Buyer) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        requiredFields=["address.zip", "questionnaire.income", "customFields.tier"],
    )
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "disqualified"
    assert submission.qualification["reason"] == (
        "missing required fields: questionnaire.income, customFields.tier"
    )


async def test_answers_are_mapped_to_the_buyers_accepted_values(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        fieldQualification=[
            {"field": "questionnaire.debt_type", "acceptedValues": ["Credit Card", "Medical"]},
            {"field": "address.state", "valueSet": "west", "required": True},
        ],
        valueSets={"west": ["CO", "UT", "AZ"]},
    )
    row = await pipeline.submit(campaign, questionnaire={"debt_type": "credit_card"})

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.qualification == {
        "passed": True,
        "score": 100.0,
        "method": "rules",
        "reason": None,
    }
    assert orjson.loads(buyer.received("/buy")[0].body)["debt"] == "Credit Card"


async def test_an_answer_outside_the_accepted_values_disqualifies(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        fieldQualification=[
            {"field": "questionnaire.debt_type", "acceptedValues": ["Medical", "Student Loan"]}
        ],
    )
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "disqualified"
    assert submission.qualification["reason"] == (
        "questionnaire.debt_type: 'credit card' is not an accepted value"
    )


async def test_campaign_without_endpoint_qualifies_and_stops(pipeline: Pipeline) -> None:
    campaign = await pipeline.campaign()
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "qualified"
    assert submission.qualification["passed"] is True
    assert (await pipeline.lead(row)).status == "qualified"


async def test_manual_delivery_skips_the_rules(pipeline: Pipeline, buyer: Buyer) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        disqualificationRules=[rule("address.state", "equals", "CO", name="No CO")],
    )
    first = await pipeline.submit(campaign)
    await pipeline.work()
    assert (await pipeline.submission(first)).status == "disqualified"

    manual = await pipeline.submit(campaign, type="manual", lead_id=first["lead_id"])
    await pipeline.work()

    submission = await pipeline.submission(manual)
    assert submission.status == "delivered"
    assert submission.number == 2
    assert submission.qualification["method"] == "manual"
    assert len(buyer.received("/buy")) == 1


async def test_inactive_campaign_fails_the_submission(pipeline: Pipeline, buyer: Buyer) -> None:
    campaign = await pipeline.campaign(
        status="inactive", endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON))
    )
    row = await pipeline.submit(campaign)

    await pipeline.work()

    assert (await pipeline.submission(row)).status == "failed"
    assert buyer.requests == []
