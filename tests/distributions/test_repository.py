"""``load_routes`` / ``resolve_route`` over the ``Sql`` protocol, as intake and make_call call
them inside their own transaction."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Connection

from leadflow.app_state import state_of
from leadflow.db.statements import ConnectionSql, Sql
from leadflow.distributions.matching import Condition, routing_data
from leadflow.distributions.repository import load_routes, resolve_route
from leadflow.kit.errors import TrackDriveError
from leadflow.models import Distribution, Schedule
from leadflow.models.schedule import LEAD_DISTRIBUTION
from tests.factories import Factory, Tenant

T = TypeVar("T")


async def _in_transaction(app: FastAPI, work: Callable[[Sql], T]) -> T:
    def run(connection: Connection) -> T:
        return work(ConnectionSql(connection))

    async with state_of(app).engine.begin() as connection:
        return await connection.run_sync(run)


async def _distribution(
    factory: Factory, tenant: Tenant, router: Schedule, target: Schedule, **fields: Any
) -> Distribution:
    row = Distribution(
        company_id=tenant.company.id,
        schedule_id=router.id,
        target_schedule_id=target.id,
        **factory._stamps(),
        **fields,
    )
    return await factory._add(row)  # type: ignore[no-any-return]


async def test_load_routes_reads_conditions_priority_and_weight(
    app: FastAPI, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    target = await factory.schedule(tenant)
    first = await _distribution(
        factory,
        tenant,
        router,
        target,
        priority=2,
        weight=7,
        conditions=[
            {"field": "traffic_source_id", "operator": "in", "value": [3, "4"]},
            {"field": "state", "operator": "exists", "value": None},
        ],
    )
    second = await _distribution(factory, tenant, router, target)

    routes = await _in_transaction(app, lambda sql: load_routes(sql, tenant.company.id, router.id))

    assert [r.id for r in routes] == [first.id, second.id]
    assert routes[0].priority == 2
    assert routes[0].weight == 7
    assert routes[0].target_schedule_id == target.id
    assert routes[0].conditions == (
        Condition("traffic_source_id", "in", (3, "4")),
        Condition("state", "exists", None),
    )
    assert routes[1].conditions == ()
    assert routes[1].weight == 1


async def test_resolve_route_returns_the_matching_target_only_within_the_company(
    app: FastAPI, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    by_source, by_sub = await factory.schedule(tenant), await factory.schedule(tenant)
    await _distribution(
        factory,
        tenant,
        router,
        by_source,
        conditions=[{"field": "traffic_source_id", "operator": "equals", "value": 9}],
    )
    await _distribution(
        factory,
        tenant,
        router,
        by_sub,
        conditions=[{"field": "sub_id", "operator": "equals", "value": "abc"}],
    )
    rng = random.Random(1)

    def resolve(company_id: int, data: dict[str, Any]) -> Callable[[Sql], int]:
        return lambda sql: resolve_route(sql, company_id, router.id, data, rng)

    company = tenant.company.id
    assert await _in_transaction(app, resolve(company, routing_data({}, 9, None))) == by_source.id
    assert await _in_transaction(app, resolve(company, routing_data({}, None, "abc"))) == by_sub.id

    with pytest.raises(TrackDriveError) as refused:
        await _in_transaction(app, resolve(company, routing_data({}, 1, "zzz")))
    assert refused.value.status == 422
    assert refused.value.body()["error_code"] == "no_matching_distribution"

    with pytest.raises(TrackDriveError):
        await _in_transaction(app, resolve(other.company.id, routing_data({}, 9, None)))
