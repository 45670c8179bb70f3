"""A router's distributions can read the lead's own ``caller_id`` and ``email``: split by a
phone's area code or an e-mail's domain, as the API's lead fields name them."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Connection

from leadflow.app_state import state_of
from leadflow.db.statements import ConnectionSql, Sql
from leadflow.distributions.matching import (
    Condition,
    Distribution,
    pick_distribution,
    routing_data,
)
from leadflow.leads.owner import LeadOwner, Routing, route_owner
from leadflow.models import Distribution as DistributionRow
from leadflow.models import LeadEvent, Schedule
from leadflow.models.schedule import LEAD_DISTRIBUTION
from tests.factories import Factory, Tenant

T = TypeVar("T")
DENVER = Condition("caller_id", "starts_with", "+1303")
ACME = Condition("email", "ends_with", "@acme.example")


def test_a_condition_reads_the_caller_id_and_the_email() -> None:
    by_area = Distribution(1, target_schedule_id=10, conditions=(DENVER,))
    by_domain = Distribution(2, target_schedule_id=20, conditions=(ACME,))
    routes, rng = [by_area, by_domain], random.Random(1)

    def pick(caller: str | None, email: str | None) -> int | None:
        data = routing_data({}, None, None, caller_id=caller, email=email)
        chosen = pick_distribution(routes, data, rng)
        return chosen.target_schedule_id if chosen else None

    assert pick("+13035550123", None) == 10
    assert pick("+17195550123", "Ada@ACME.example") == 20
    assert pick("+17195550123", "ada@example.com") is None
    assert pick(None, None) is None


async def _in_transaction(app: FastAPI, work: Callable[[Sql], T]) -> T:
    def run(connection: Connection) -> T:
        return work(ConnectionSql(connection))

    async with state_of(app).engine.begin() as connection:
        return await connection.run_sync(run)


async def _distribution(
    factory: Factory, tenant: Tenant, router: Schedule, target: Schedule, **fields: Any
) -> DistributionRow:
    row = DistributionRow(
        company_id=tenant.company.id,
        schedule_id=router.id,
        target_schedule_id=target.id,
        **factory._stamps(),
        **fields,
    )
    return await factory._add(row)  # type: ignore[no-any-return]


async def test_route_owner_sends_a_lead_by_its_area_code_or_its_e_mail_domain(
    app: FastAPI, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router = await factory.schedule(tenant, name="Inbound", schedule_type=LEAD_DISTRIBUTION)
    denver, acme = await factory.schedule(tenant), await factory.schedule(tenant)
    conditions = {"field": "caller_id", "operator": "starts_with", "value": "+1303"}
    by_area = await _distribution(
        factory, tenant, router, denver, name="Denver", conditions=[conditions]
    )
    domain = {"field": "email", "operator": "ends_with", "value": "@acme.example"}
    await _distribution(factory, tenant, router, acme, name="Acme", conditions=[domain])
    owner = LeadOwner(
        tenant.company.id,
        router.offer_id,
        router.id,
        "US",
        schedule_type=LEAD_DISTRIBUTION,
    )

    def route(caller: str, email: str | None) -> Callable[[Sql], tuple[LeadOwner, Routing]]:
        return lambda sql: route_owner(
            sql, owner, None, None, {}, random.Random(1), caller_id=caller, email=email
        )

    target, routing = await _in_transaction(app, route("+13035550123", None))
    assert target.schedule_id == denver.id
    assert routing == Routing(router.id, by_area.id, "Inbound", "Denver")
    target, routing = await _in_transaction(app, route("+17195550123", "bob@acme.example"))
    assert target.schedule_id == acme.id
    assert routing.distribution_name == "Acme"


async def test_two_posted_leads_are_routed_by_caller_id_and_email(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    tenant = await factory.tenant()
    router = await factory.schedule(tenant, name="Inbound", schedule_type=LEAD_DISTRIBUTION)
    denver, acme = await factory.schedule(tenant), await factory.schedule(tenant)
    for target, name, condition in (
        (denver, "Denver", {"field": "caller_id", "operator": "starts_with", "value": "+1303"}),
        (acme, "Acme", {"field": "Email", "operator": "ends_with", "value": "@acme.example"}),
    ):
        made = await client.post(
            f"/api/v1/schedules/{router.id}/distributions",
            json={"target_schedule_id": target.id, "name": name, "conditions": [condition]},
            headers=tenant.auth,
        )
        assert made.status_code == 200, made.text

    async def post(**params: str) -> dict[str, Any]:
        answer = await client.post(
            "/api/v1/leads", params={"lead_token": router.leads_api_key, **params}
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    local = await post(caller_id="(303) 555-0123")
    emailed = await post(caller_id="+17195550123", email="ada@ACME.example")
    assert local["lead"]["schedule_id"] == denver.id
    assert emailed["lead"]["schedule_id"] == acme.id
    nowhere = await client.post(
        "/api/v1/leads",
        params={"lead_token": router.leads_api_key, "caller_id": "+17195550124"},
    )
    assert nowhere.status_code == 422
    assert nowhere.json()["error_code"] == "no_matching_distribution"

    async with state_of(app).sessionmaker() as session:
        routed = await session.scalar(
            select(LeadEvent).where(
                LeadEvent.lead_id == emailed["lead"]["id"], LeadEvent.kind == "routed"
            )
        )
    assert routed is not None
    assert routed.data["router_name"] == "Inbound"
    assert routed.data["distribution_name"] == "Acme"
    assert routed.data["distribution_id"] == emailed["distribution_id"]
