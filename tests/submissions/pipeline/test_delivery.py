"""Delivery to a real buyer on loopback: what it answers becomes the submission's outcome."""

from __future__ import annotations

import orjson
from lxml import etree

from tests.submissions.pipeline.buyer import Answer, Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint

XML_RESPONSE = {"statusPath": "//result", "reasonPath": "//reason", "leadIdPath": "//id"}


async def test_accepted_json_answer_delivers_the_lead_with_the_buyers_lead_id(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)))
    row = await pipeline.submit(campaign)

    assert await pipeline.work() == 1

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivered_at == pipeline.clock.now()
    assert submission.attempts == 1
    delivery = submission.delivery
    assert delivery["success"] is True
    assert delivery["clientLeadId"] == "B-100"
    assert delivery["statusCode"] == 200
    assert delivery["url"] == buyer.url("/buy")
    assert (delivery["method"], delivery["bodyFormat"]) == ("POST", "json")
    assert delivery["deliveredAt"] == pipeline.clock.now().isoformat()
    assert [s["step"] for s in submission.steps] == [
        "routing",
        "duplicate",
        "disqualification",
        "dynamic_keys",
        "required_fields",
        "field_qualification",
        "payload",
        "delivery",
    ]
    (request,) = buyer.received("/buy")
    assert request.headers["Content-Type"] == "application/json"
    assert orjson.loads(request.body) == {
        "first_name": "Ada",
        "phone": "+12125550123",
        "state": "CO",
        "debt": "credit card",
    }
    assert (await pipeline.lead(row)).status == "delivered"


async def test_xml_buyer_rejection_is_recorded_with_the_buyers_reason(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    answer = Answer(
        200,
        "<response><result>rejected</result><reason>Out of area</reason></response>",
        "application/xml",
    )
    endpoint = json_endpoint(
        buyer.on("/xml", answer), bodyFormat="xml", xmlRoot="lead", response=XML_RESPONSE
    )
    campaign = await pipeline.campaign(endpoint=endpoint)
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "rejected"
    assert submission.delivery["success"] is False
    assert submission.delivery["responseMessage"] == "Out of area"
    assert submission.delivered_at is None
    (request,) = buyer.received("/xml")
    assert request.headers["Content-Type"] == "application/xml"
    document = etree.fromstring(request.body)
    assert document.tag == "lead"
    assert document.findtext("first_name") == "Ada"
    assert (await pipeline.lead(row)).status == "rejected"


async def test_xml_buyer_acceptance_reads_the_lead_id_by_xpath(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    answer = Answer(200, "<response><result>success</result><id>X-9</id></response>", "text/xml")
    endpoint = json_endpoint(buyer.on("/xml", answer), bodyFormat="xml", response=XML_RESPONSE)
    campaign = await pipeline.campaign(endpoint=endpoint)
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert submission.delivery["clientLeadId"] == "X-9"


async def test_buyer_duplicate_answer_marks_the_submission_duplicate(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    answer = Answer(200, '{"status": "duplicate", "reason": "seen it"}')
    campaign = await pipeline.campaign(endpoint=json_endpoint(buyer.on("/dupe", answer)))
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "duplicate"
    assert submission.delivery["responseMessage"] == "seen it"


async def test_slow_buyer_times_out_is_tried_again_and_the_submission_fails(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    slow = buyer.on("/slow", Answer(200, '{"status": "success"}', delay=1.5))
    endpoint = json_endpoint(slow, timeoutSeconds=0.3, maxRetries=1)
    campaign = await pipeline.campaign(endpoint=endpoint)
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "failed"
    assert submission.attempts == 2
    assert len(buyer.received("/slow")) == 2
    tries = submission.steps[-1]["attempts"]
    assert [t["statusCode"] for t in tries] == [None, None]
    assert all("Timeout" in t["error"] for t in tries)
    assert "no answer after 2 tries" in submission.delivery["responseMessage"]


async def test_server_error_is_tried_again_and_a_later_acceptance_delivers(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    url = buyer.on("/flaky", Answer(503, "busy"), ACCEPTED_JSON)
    campaign = await pipeline.campaign(endpoint=json_endpoint(url, maxRetries=2))
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "delivered"
    assert [t["statusCode"] for t in submission.steps[-1]["attempts"]] == [503, 200]


async def test_a_buyers_4xx_answer_is_never_tried_again(pipeline: Pipeline, buyer: Buyer) -> None:
    url = buyer.on("/bad", Answer(400, '{"status": "rejected", "reason": "bad zip"}'))
    campaign = await pipeline.campaign(endpoint=json_endpoint(url, maxRetries=3))
    row = await pipeline.submit(campaign)

    await pipeline.work()

    assert (await pipeline.submission(row)).status == "rejected"
    assert len(buyer.received("/bad")) == 1


async def test_malformed_json_answer_is_an_error_not_a_rejection(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    url = buyer.on("/broken", Answer(200, '{"status": "succ'))
    campaign = await pipeline.campaign(endpoint=json_endpoint(url))
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "error"
    assert "not valid JSON" in submission.delivery["responseMessage"]
    assert len(buyer.received("/broken")) == 1


async def test_malformed_xml_answer_is_an_error(pipeline: Pipeline, buyer: Buyer) -> None:
    url = buyer.on("/broken.xml", Answer(200, "<response><result>ok</resu", "application/xml"))
    endpoint = json_endpoint(url, bodyFormat="xml", response=XML_RESPONSE)
    campaign = await pipeline.campaign(endpoint=endpoint)
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "error"
    assert "not valid XML" in submission.delivery["responseMessage"]


async def test_endpoint_on_a_refused_address_is_never_called(pipeline: Pipeline) -> None:
    endpoint = json_endpoint("http://169.254.169.254/latest/meta-data")
    campaign = await pipeline.campaign(endpoint=endpoint)
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "failed"
    assert "metadata" in submission.delivery["responseMessage"]
    assert submission.attempts == 0


async def test_form_and_static_auth_headers_reach_the_buyer(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    endpoint = json_endpoint(
        buyer.on("/form", ACCEPTED_JSON),
        bodyFormat="form",
        headers={"X-Source": "leadflow"},
        auth={"kind": "static", "headers": {"Authorization": "Bearer abc"}},
    )
    campaign = await pipeline.campaign(endpoint=endpoint)
    await pipeline.submit(campaign)

    await pipeline.work()

    (request,) = buyer.received("/form")
    assert request.headers["Authorization"] == "Bearer abc"
    assert request.headers["X-Source"] == "leadflow"
    assert request.body.decode().startswith("first_name=Ada&phone=%2B12125550123")


async def test_oauth_client_credentials_token_is_fetched_once_and_sent(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    token_url = buyer.on("/token", Answer(200, '{"access_token": "T0K", "expires_in": 3600}'))
    auth = {
        "kind": "oauth2_client_credentials",
        "tokenUrl": token_url,
        "clientId": "me",
        "clientSecret": "secret",
    }
    endpoint = json_endpoint(buyer.on("/buy", ACCEPTED_JSON), auth=auth)
    campaign = await pipeline.campaign(endpoint=endpoint)
    await pipeline.submit(campaign)
    await pipeline.submit(campaign, phone="+12125550124", email="b@example.com")

    await pipeline.work()

    assert len(buyer.received("/token")) == 1
    assert [r.headers["Authorization"] for r in buyer.received("/buy")] == ["Bearer T0K"] * 2


def _oauth(token_url: str) -> dict[str, str]:
    return {
        "kind": "oauth2_client_credentials",
        "tokenUrl": token_url,
        "clientId": "me",
        "clientSecret": "secret",
    }


async def test_leads_queued_behind_a_failed_token_fetch_fail_with_it_and_ask_no_more(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    """A token URL that fails is asked once for the leads already waiting on it, not once per
    lead in turn: each turn could take the endpoint's timeout, and the queue would hold the
    worker's delivery slots, which every company shares."""
    token_url = buyer.on("/token", Answer(500, "down", delay=0.5))
    endpoint = json_endpoint(buyer.on("/buy", ACCEPTED_JSON), auth=_oauth(token_url))
    campaign = await pipeline.campaign(endpoint=endpoint)
    rows = [
        await pipeline.submit(campaign, phone=f"+1212555012{n}", email=f"{n}@example.com")
        for n in range(4)
    ]

    await pipeline.work()

    assert len(buyer.received("/token")) == 1
    assert buyer.received("/buy") == []
    for row in rows:
        submission = await pipeline.submission(row)
        assert submission.status == "failed"
        message = submission.delivery["responseMessage"]
        assert message.startswith("could not get an OAuth token: HTTPStatusError"), message

    # The next lead asks again: a failure is shared with the leads that waited for it only.
    buyer.on("/token", Answer(200, '{"access_token": "T0K", "expires_in": 3600}'))
    later = await pipeline.submit(campaign, phone="+12125550199", email="z@example.com")
    await pipeline.work()
    assert (await pipeline.submission(later)).status == "delivered"
    assert len(buyer.received("/token")) == 2


async def test_a_token_url_slower_than_the_endpoints_timeout_fails_the_delivery(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    """The token fetch keeps to the endpoint's ``timeoutSeconds`` (1 here), as the delivery's
    own tries do, and the lease counts it; it used to wait for the worker's 10 s default."""
    token_url = buyer.on("/token", Answer(200, '{"access_token": "T0K"}', delay=4))
    endpoint = json_endpoint(
        buyer.on("/buy", ACCEPTED_JSON), auth=_oauth(token_url), timeoutSeconds=1
    )
    campaign = await pipeline.campaign(endpoint=endpoint)
    row = await pipeline.submit(campaign)

    await pipeline.work()

    submission = await pipeline.submission(row)
    assert submission.status == "failed"
    message = submission.delivery["responseMessage"]
    assert message.startswith("could not get an OAuth token: ReadTimeout"), message
    assert buyer.received("/buy") == []
