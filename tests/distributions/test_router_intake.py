"""`POST /api/v1/leads` with a router schedule's token: the lead lands in the target schedule
of the distribution its data matches, and is then treated exactly as a lead of that target."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.distributions.matching import Distribution, pick_distribution
from leadflow.models import Lead, LeadEvent, Schedule, WebhookDelivery
from leadflow.models.schedule import LEAD_DISTRIBUTION
from tests.factories import Factory, Tenant

CALLER = "+17193132645"


class Router:
    """A router schedule of ``tenant`` and a way to give it distributions and post to it."""

    def __init__(self, client: httpx.AsyncClient, tenant: Tenant, schedule: Schedule) -> None:
        self.client, self.tenant, self.schedule = client, tenant, schedule

    async def distribute(self, target: Schedule, **fields: Any) -> int:
        response = await self.client.post(
            f"/api/v1/schedules/{self.schedule.id}/distributions",
            json={"target_schedule_id": target.id, **fields},
            headers=self.tenant.auth,
        )
        assert response.status_code == 200, response.text
        return int(response.json()["distribution"]["id"])

    async def post(self, path: str = "", **params: Any) -> httpx.Response:
        query = {"lead_token": self.schedule.leads_api_key, **params}
        return await self.client.post(f"/api/v1/leads{path}", params=query)

    async def routed(self, **params: Any) -> dict[str, Any]:
        response = await self.post(**params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def _router(client: httpx.AsyncClient, factory: Factory) -> Router:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    return Router(client, tenant, schedule)


def equals(field: str, value: Any) -> list[dict[str, Any]]:
    return [{"field": field, "operator": "equals", "value": value}]


async def _count(app: FastAPI, model: Any) -> int:
    async with state_of(app).sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_a_lead_lands_in_the_target_its_traffic_source_names(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    router = await _router(client, factory)
    first, second = await factory.schedule(router.tenant), await factory.schedule(router.tenant)
    source_a = await factory.traffic_source(router.tenant, user_traffic_source_id="pub-a")
    source_b = await factory.traffic_source(router.tenant)
    to_first = await router.distribute(first, conditions=equals("traffic_source_id", source_a.id))
    to_second = await router.distribute(second, conditions=equals("traffic_source_id", source_b.id))

    body = await router.routed(caller_id=CALLER, traffic_source_id=source_b.id)
    assert body["lead"]["schedule_id"] == second.id
    assert body["lead"]["offer_id"] == second.offer_id
    assert body["lead"]["status"] == "scheduled"
    assert body["distribution_id"] == to_second
    assert body["router_schedule_id"] == router.schedule.id

    # The publisher's own id names the same source, and routes by our id.
    by_their_id = await router.routed(caller_id="+17193132646", traffic_source_id="pub-a")
    assert by_their_id["lead"]["schedule_id"] == first.id
    assert by_their_id["distribution_id"] == to_first

    async with state_of(app).sessionmaker() as session:
        in_router = await session.scalar(
            select(func.count()).where(Lead.schedule_id == router.schedule.id)
        )
    assert in_router == 0


async def test_a_lead_lands_by_sub_id_or_by_a_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    router = await _router(client, factory)
    by_sub, by_state = await factory.schedule(router.tenant), await factory.schedule(router.tenant)
    await router.distribute(by_sub, conditions=equals("sub_id", "spring-42"))
    await router.distribute(
        by_state,
        conditions=[
            {"field": "state", "operator": "in", "value": ["TX", "OK"]},
            {"field": "age", "operator": "greater_than", "value": 30},
        ],
    )

    assert (await router.routed(sub_id="spring-42"))["lead"]["schedule_id"] == by_sub.id
    texan = await router.routed(caller_id=CALLER, State="OK", age="45")
    assert texan["lead"]["schedule_id"] == by_state.id
    assert texan["lead"]["data"] == {"state": "OK", "age": "45"}

    too_young = await router.post(caller_id=CALLER, state="TX", age="30")
    assert too_young.status_code == 422
    assert too_young.json()["error_code"] == "no_matching_distribution"


async def test_lowest_priority_number_wins_then_the_rest_take_what_it_does_not(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    router = await _router(client, factory)
    vip, everyone = await factory.schedule(router.tenant), await factory.schedule(router.tenant)
    # Created first and heavier, but priority 1: only what the priority-0 branch refuses.
    await router.distribute(everyone, priority=1, weight=1_000)
    await router.distribute(vip, priority=0, conditions=equals("tier", "gold"))

    for _ in range(5):
        gold = await router.routed(tier="gold")
        assert gold["lead"]["schedule_id"] == vip.id
    assert (await router.routed(tier="silver"))["lead"]["schedule_id"] == everyone.id
    assert (await router.routed())["lead"]["schedule_id"] == everyone.id


async def test_matches_of_equal_priority_share_leads_by_weight(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    router = await _router(client, factory)
    light, heavy = await factory.schedule(router.tenant), await factory.schedule(router.tenant)
    await router.distribute(light, weight=1)
    await router.distribute(heavy, weight=4)
    # A better-priority branch that never matches must not take part in the draw.
    await router.distribute(light, priority=0, weight=1, conditions=equals("never", "x"))
    await router.distribute(heavy, priority=5, weight=1_000_000)

    posts = 250
    landed = Counter([(await router.routed())["lead"]["schedule_id"] for _ in range(posts)])

    assert set(landed) == {light.id, heavy.id}
    # Expected 200 of 250 (sd ≈ 6.3); ignoring the weights gives 125 (sd ≈ 7.9).
    assert 170 <= landed[heavy.id] <= 230, landed


async def test_no_matching_distribution_is_a_422_and_stores_nothing(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    router = await _router(client, factory)
    target = await factory.schedule(router.tenant)
    await router.distribute(target, conditions=equals("sub_id", "only-this"))

    for params in ({"caller_id": CALLER, "sub_id": "other"}, {"caller_id": CALLER}):
        response = await router.post(**params)
        assert response.status_code == 422
        assert response.json() == {
            "status": 422,
            "errors": {
                "schedule_id": [
                    "is a router and none of its distributions matches the submitted data"
                ]
            },
            "error_code": "no_matching_distribution",
        }
    assert await _count(app, Lead) == 0


async def test_a_router_without_distributions_refuses_every_lead(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    router = await _router(client, factory)
    response = await router.post(caller_id=CALLER)
    assert response.status_code == 422
    assert response.json()["error_code"] == "no_matching_distribution"


async def test_an_unknown_traffic_source_is_named_before_routing(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    router = await _router(client, factory)
    await router.distribute(await factory.schedule(router.tenant))
    response = await router.post(traffic_source_id="nobody")
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "traffic_source_id": ["is not one of your traffic sources"]
    }


async def test_the_targets_duplicate_rule_applies_to_routed_and_direct_posts(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    router = await _router(client, factory)
    target = await factory.schedule(router.tenant, lead_duplicate_timeframe=3600)
    await router.distribute(target)

    first = await router.routed(caller_id=CALLER, colour="red")
    again = await router.routed(caller_id=CALLER, size="xl")
    assert again["dedupe_action"] == "updated"
    assert again["lead"]["id"] == first["lead"]["id"]
    assert again["lead"]["data"] == {"colour": "red", "size": "xl"}

    direct = await client.post(
        "/api/v1/leads", params={"lead_token": target.leads_api_key, "caller_id": CALLER}
    )
    assert direct.json()["dedupe_action"] == "updated"
    assert direct.json()["lead"]["id"] == first["lead"]["id"]

    no_window = await factory.schedule(router.tenant)
    other_router = Router(
        client,
        router.tenant,
        await factory.schedule(router.tenant, schedule_type=LEAD_DISTRIBUTION),
    )
    await other_router.distribute(no_window)
    one = await other_router.routed(caller_id=CALLER)
    two = await other_router.routed(caller_id=CALLER)
    assert one["lead"]["id"] != two["lead"]["id"]


async def test_a_routed_leads_event_and_webhook_name_the_target(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    router = await _router(client, factory)
    target = await factory.schedule(router.tenant)
    distribution_id = await router.distribute(target)
    subscribed = await client.post(
        "/api/v1/subscriptions",
        json={"target_url": "https://hooks.example.com/leads", "event": "new_lead"},
        headers=router.tenant.auth,
    )
    assert subscribed.status_code == 200, subscribed.text

    lead = (await router.routed(caller_id=CALLER))["lead"]

    async with state_of(app).sessionmaker() as session:
        events = (
            await session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead["id"]))
        ).all()
        deliveries = (await session.scalars(select(WebhookDelivery))).all()
    routed = [event for event in events if event.kind == "routed"]
    assert [event.data for event in routed] == [
        {
            "router_schedule_id": router.schedule.id,
            "distribution_id": distribution_id,
            "router_name": router.schedule.name,
            "distribution_name": "",
        }
    ]
    assert [d.payload["data"]["schedule_id"] for d in deliveries] == [target.id]
    assert deliveries[0].payload["data"]["id"] == lead["id"]


async def test_capture_through_a_router_reports_the_target_schedule(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    router = await _router(client, factory)
    target = await factory.schedule(router.tenant)
    await router.distribute(target)
    response = await router.post("/capture", caller_id=CALLER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["schedule_id"] == target.id
    assert body["lead"]["schedule_id"] == target.id
    assert body["lead"]["status"] == "captured"


async def test_a_target_turned_into_a_router_is_no_longer_routed_to(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    router = await _router(client, factory)
    target = await factory.schedule(router.tenant)
    fallback = await factory.schedule(router.tenant)
    await router.distribute(target, priority=0)
    await router.distribute(fallback, priority=1)
    async with state_of(app).sessionmaker() as session:
        row = await session.get(Schedule, target.id)
        assert row is not None
        row.schedule_type = LEAD_DISTRIBUTION
        await session.commit()

    assert (await router.routed(caller_id=CALLER))["lead"]["schedule_id"] == fallback.id


async def test_a_posted_lead_to_a_plain_schedule_carries_no_routing_keys(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    response = await client.post(
        "/api/v1/leads", params={"lead_token": schedule.leads_api_key, "caller_id": CALLER}
    )
    assert response.status_code == 200
    assert "distribution_id" not in response.json()
    assert "router_schedule_id" not in response.json()


async def test_a_seeded_draw_routes_leads_as_the_matching_rules_say(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    router = await _router(client, factory)
    targets = [await factory.schedule(router.tenant) for _ in range(3)]
    weights = (1, 2, 5)
    ids = [
        await router.distribute(target, weight=weight)
        for target, weight in zip(targets, weights, strict=True)
    ]
    expected_rng = random.Random(20)
    routes = [
        Distribution(id=d, target_schedule_id=t.id, weight=w)
        for d, t, w in zip(ids, targets, weights, strict=True)
    ]
    expected = [pick_distribution(routes, {}, expected_rng) for _ in range(30)]
    state_of(app).owner_cache.rng = random.Random(20)

    landed = [(await router.routed())["distribution_id"] for _ in range(30)]

    assert landed == [d.id for d in expected if d is not None]
    assert len(set(landed)) == 3


async def test_the_routers_token_reaches_the_leads_it_routed_for_caller_operations(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    router = await _router(client, factory)
    first, second = await factory.schedule(router.tenant), await factory.schedule(router.tenant)
    await router.distribute(first, conditions=equals("sub_id", "a"))
    await router.distribute(second, conditions=equals("sub_id", "b"))
    routed = await router.routed(caller_id=CALLER, sub_id="b")

    moved = await router.post(f"/{CALLER[2:]}/caller_move_to_end_of_schedule")
    assert moved.status_code == 200, moved.text
    assert moved.json()["lead"]["id"] == routed["lead"]["id"]
    removed = await router.post(f"/{CALLER[2:]}/caller_remove")
    assert removed.status_code == 200, removed.text
    async with state_of(app).sessionmaker() as session:
        lead = await session.get(Lead, routed["lead"]["id"])
    assert lead is not None
    assert lead.status == "disabled"
    unknown = await router.post("/7193130000/caller_remove")
    assert unknown.status_code == 404
