"""A schedule's webhook action calls the user's URL with the lead's tokens, after the commit,
and writes the answer to the lead's timeline; subscribers hear that the lead ended."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import WebhookDelivery
from leadflow.settings import Settings
from tests.cadence.conftest import Cadence
from tests.webhooks.receiver import Receiver, serve


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, embedded_worker=False, db_pool_size=5, allow_loopback_urls=True
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver("127.0.0.1")
    server = serve(found)
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


async def test_webhook_action_posts_the_rendered_body(cadence: Cadence, receiver: Receiver) -> None:
    schedule = await cadence.schedule(
        [
            {
                "type": "webhook",
                "url": receiver.url("/leads/[zip]"),
                "body": '{"name": "{{ first_name }}"}',
                "headers": {"X-Source": "[sub]{none}"},
            }
        ]
    )
    posted = await cadence.post_lead(schedule, first_name="Ada", zip="10001")

    await cadence.work()

    [request] = receiver.requests
    assert request.path == "/leads/10001"
    assert json.loads(request.body) == {"name": "Ada"}
    assert request.headers["X-Source"] == "none"
    timeline = await cadence.timeline(posted["id"])
    assert timeline[-3:] == ["webhook_queued", "lead_ended", "webhook_sent"]


async def test_webhook_action_to_a_refused_address_fails_visibly(cadence: Cadence) -> None:
    schedule = await cadence.schedule([{"type": "webhook", "url": "http://169.254.169.254/x"}])
    posted = await cadence.post_lead(schedule)

    await cadence.work()

    assert (await cadence.timeline(posted["id"]))[-1] == "webhook_failed"


async def test_lead_ended_is_queued_for_subscribers(cadence: Cadence, receiver: Receiver) -> None:
    schedule = await cadence.schedule([{"type": "sms", "body": "hi"}])
    response = await cadence.client.post(
        "/api/v1/subscriptions",
        headers=cadence.tenant.auth,
        json={"target_url": receiver.url(), "event": "lead_ended"},
    )
    assert response.status_code in (200, 201), response.text
    posted = await cadence.post_lead(schedule)

    await cadence.work()

    async with state_of(cadence.app).sessionmaker() as session:
        deliveries = list(await session.scalars(select(WebhookDelivery)))
    assert [d.event for d in deliveries] == ["lead_ended"]
    assert deliveries[0].status == "delivered"
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["data"]["id"] == posted["id"]
    assert body["data"]["status"] == "completed"


async def test_new_call_and_call_ended_are_queued_for_subscribers(
    cadence: Cadence, receiver: Receiver
) -> None:
    schedule = await cadence.schedule([{"type": "call"}])
    for event in ("new_call", "call_ended"):
        response = await cadence.client.post(
            "/api/v1/subscriptions",
            headers=cadence.tenant.auth,
            json={"target_url": receiver.url(), "event": event},
        )
        assert response.status_code in (200, 201), response.text
    posted = await cadence.post_lead(schedule)

    await cadence.work()

    [call] = await cadence.calls(posted["id"])
    bodies = {
        body["event"]: body["data"] for body in (json.loads(r.body) for r in receiver.requests)
    }
    assert bodies["new_call"]["id"] == call.id
    assert bodies["new_call"]["status"] == "queued"
    assert (bodies["call_ended"]["id"], bodies["call_ended"]["status"]) == (call.id, "completed")
    assert bodies["call_ended"]["lead_id"] == posted["id"]
