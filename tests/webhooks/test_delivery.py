"""Subscribed events reach the receiver signed, are retried with backoff, and are logged."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.webhooks.signing import verify
from tests.webhooks.conftest import CALLER, Hooks
from tests.webhooks.receiver import Receiver


async def test_new_lead_is_posted_to_the_receiver_with_a_verifiable_signature(
    hooks: Hooks, receiver: Receiver, clock: FrozenClock
) -> None:
    subscription = await hooks.subscribe(receiver.url())
    lead = await hooks.post_lead(first_name="Ada")

    assert await hooks.deliver() == 1

    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Leadflow-Webhooks"
    assert request.headers["X-Leadflow-Event"] == "new_lead"
    now = int(clock.now().timestamp())
    assert verify(
        subscription["secret"], request.headers["X-Leadflow-Signature"], request.body, now
    )
    assert not verify("whsec_other", request.headers["X-Leadflow-Signature"], request.body, now)
    body = orjson.loads(request.body)
    assert body["event"] == "new_lead"
    assert body["id"] == request.headers["X-Leadflow-Delivery"]
    assert body["data"]["id"] == lead["id"]
    assert body["data"]["caller_id"] == CALLER
    assert body["data"]["data"] == {"first_name": "Ada"}

    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["uuid"] == request.headers["X-Leadflow-Delivery"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 1
    assert delivery["delivered_at"] is not None
    assert [(a["attempt"], a["status_code"], a["error"]) for a in delivery["attempt_log"]] == [
        (1, 200, None)
    ]
    assert await hooks.deliver() == 0
    assert len(receiver.requests) == 1


async def test_lead_update_through_intake_is_posted_as_lead_changed(
    hooks: Hooks, receiver: Receiver
) -> None:
    subscription = await hooks.subscribe(receiver.url(), event="lead_changed")
    await hooks.post_lead()
    assert await hooks.delivery_count() == 0
    created = await hooks.client.post(
        "/api/v1/leads/create_or_update",
        params={"lead_token": hooks.schedule.leads_api_key, "caller_id": CALLER, "zip": "80903"},
    )
    assert created.status_code == 200, created.text

    await hooks.deliver()

    [request] = receiver.requests
    assert request.headers["X-Leadflow-Event"] == "lead_changed"
    assert orjson.loads(request.body)["data"]["data"]["zip"] == "80903"
    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "delivered"


async def test_trigger_fields_send_only_the_matching_schedules_leads(
    hooks: Hooks, receiver: Receiver
) -> None:
    other = await hooks.factory.schedule(hooks.tenant)
    mine = await hooks.subscribe(
        receiver.url("/mine"), trigger_fields={"schedule_id": hooks.schedule.id}
    )
    theirs = await hooks.subscribe(
        receiver.url("/theirs"), trigger_fields={"schedule_id": other.id}
    )

    await hooks.post_lead()
    await hooks.deliver()

    assert [request.path for request in receiver.requests] == ["/mine"]
    assert len(await hooks.deliveries(mine["id"])) == 1
    assert await hooks.deliveries(theirs["id"]) == []


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_failing_receiver_is_retried_with_growing_delays_then_fails(
    hooks: Hooks, receiver: Receiver, clock: FrozenClock, app: FastAPI
) -> None:
    context = state_of(app).worker_context
    context.settings = context.settings.model_copy(update={"webhook_max_attempts": 4})
    receiver.statuses = [500]
    subscription = await hooks.subscribe(receiver.url())
    await hooks.post_lead()

    delays: list[float] = []
    for attempt in range(1, 5):
        assert await hooks.deliver() == 1
        [delivery] = await hooks.deliveries(subscription["id"])
        assert delivery["attempts"] == attempt
        assert delivery["last_status_code"] == 500
        if attempt == 4:
            break
        assert delivery["status"] == "pending"
        due = _time(delivery["next_attempt_at"])
        delays.append((due - clock.now()).total_seconds())
        clock.advance(seconds=delays[-1] - 1)
        assert await hooks.deliver() == 0, "retried before its backoff ran out"
        clock.advance(seconds=1)

    assert [round(delay / 30) for delay in delays] == [1, 2, 4]  # 30 s, 60 s, 120 s + jitter
    assert all(30 * 2**n <= delay <= 30 * 2**n * 1.1 for n, delay in enumerate(delays))
    assert delivery["status"] == "failed"
    assert delivery["next_attempt_at"] is None
    assert [a["attempt"] for a in delivery["attempt_log"]] == [1, 2, 3, 4]
    assert {a["status_code"] for a in delivery["attempt_log"]} == {500}
    assert len(receiver.requests) == 4
    assert len({request.headers["X-Leadflow-Delivery"] for request in receiver.requests}) == 1

    clock.advance(days=1)
    assert await hooks.deliver() == 0


async def test_receiver_recovering_gets_the_delivery_on_a_later_attempt(
    hooks: Hooks, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.statuses = [503, 200]
    subscription = await hooks.subscribe(receiver.url())
    await hooks.post_lead()

    await hooks.deliver()
    clock.advance(minutes=1)
    await hooks.deliver()

    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [503, 200]


async def test_redirect_is_not_followed_and_counts_as_a_failure(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.statuses = [302]
    subscription = await hooks.subscribe(receiver.url())
    await hooks.post_lead()

    await hooks.deliver()

    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "pending"
    assert delivery["attempt_log"][0]["status_code"] == 302
    assert len(receiver.requests) == 1


async def test_private_target_is_refused_at_send_time_unless_allowed(
    hooks: Hooks, receiver: Receiver, app: FastAPI
) -> None:
    subscription = await hooks.subscribe(receiver.url())
    await hooks.post_lead()
    context = state_of(app).worker_context
    context.settings = context.settings.model_copy(
        update={"allow_private_urls": False, "allow_loopback_urls": False}
    )

    assert await hooks.deliver() == 1

    assert receiver.requests == []
    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "failed"
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("target_url refused: points at a private network")


async def test_claimed_delivery_whose_worker_died_is_sent_after_the_lease(
    hooks: Hooks, receiver: Receiver, clock: FrozenClock, app: FastAPI
) -> None:
    from leadflow.webhooks import repository

    subscription = await hooks.subscribe(receiver.url())
    await hooks.post_lead()
    now = clock.now()
    lease = timedelta(seconds=state_of(app).settings.worker_lease_seconds)
    claimed = await state_of(app).committer.run(
        lambda sql: repository.claim_due(sql, now=now, lease_until=now + lease, limit=10)
    )
    assert len(claimed) == 1  # ... and this worker dies before sending

    assert await hooks.deliver() == 0
    clock.advance(seconds=lease.total_seconds())
    assert await hooks.deliver() == 1

    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "delivered"
    assert len(receiver.requests) == 1
