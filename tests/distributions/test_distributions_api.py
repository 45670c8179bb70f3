"""`/api/v1/schedules/:id/distributions`: a router's branches, each field checked, each
company's rows its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leadflow.models import Schedule
from leadflow.models.schedule import LEAD_DISTRIBUTION
from tests.factories import Factory, Tenant

MISSING = object()


def _url(schedule: Schedule | int | str, ref: object = None) -> str:
    schedule_id = schedule.id if isinstance(schedule, Schedule) else schedule
    base = f"/api/v1/schedules/{schedule_id}/distributions"
    return base if ref is None else f"{base}/{ref}"


async def _router_and_target(factory: Factory, tenant: Tenant) -> tuple[Schedule, Schedule]:
    router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    return router, await factory.schedule(tenant)


async def _create(
    client: httpx.AsyncClient, tenant: Tenant, router: Schedule, **fields: Any
) -> httpx.Response:
    return await client.post(_url(router), json=fields, headers=tenant.auth)


async def test_a_created_distribution_is_shown_listed_updated_and_deleted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router, target = await _router_and_target(factory, tenant)
    other_target = await factory.schedule(tenant)
    conditions: list[dict[str, Any]] = [
        {"field": "traffic_source_id", "operator": "in", "value": [3, 4]},
        {"field": "State", "operator": "equals", "value": "TX"},
        {"field": "age", "operator": "greater_than", "value": 30},
        {"field": "sub_id", "operator": "exists", "value": None},
    ]
    created = await _create(
        client,
        tenant,
        router,
        target_schedule_id=target.id,
        name="Texas",
        priority=2,
        weight=5,
        conditions=conditions,
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["metadata"] == {"root": "distribution"}
    distribution = body["distribution"]
    assert distribution["schedule_id"] == router.id
    assert distribution["target_schedule_id"] == target.id
    assert (distribution["name"], distribution["priority"], distribution["weight"]) == (
        "Texas",
        2,
        5,
    )
    conditions[1]["field"] = "state"  # token names are normalised as tokens are
    assert distribution["conditions"] == conditions

    by_uuid = await client.get(_url(router, distribution["uuid"]), headers=tenant.auth)
    assert by_uuid.json()["distribution"] == distribution

    defaults = await _create(client, tenant, router, target_schedule_id=target.id)
    assert defaults.status_code == 200, defaults.text
    assert defaults.json()["distribution"]["priority"] == 0
    assert defaults.json()["distribution"]["weight"] == 1
    assert defaults.json()["distribution"]["conditions"] == []

    listed = await client.get(_url(router), params={"order": "priority"}, headers=tenant.auth)
    assert listed.status_code == 200, listed.text
    assert listed.json()["metadata"]["total_count"] == 2
    assert [d["id"] for d in listed.json()["distributions"]] == [
        defaults.json()["distribution"]["id"],
        distribution["id"],
    ]

    updated = await client.put(
        _url(router, distribution["id"]),
        json={"weight": 9, "target_schedule_id": other_target.id, "conditions": []},
        headers=tenant.auth,
    )
    assert updated.status_code == 200, updated.text
    changed = updated.json()["distribution"]
    assert changed["weight"] == 9
    assert changed["target_schedule_id"] == other_target.id
    assert changed["conditions"] == []
    assert changed["priority"] == 2
    assert changed["name"] == "Texas"

    deleted = await client.delete(_url(router, distribution["id"]), headers=tenant.auth)
    assert deleted.status_code == 200, deleted.text
    gone = await client.get(_url(router, distribution["id"]), headers=tenant.auth)
    assert gone.status_code == 404
    assert gone.json()["errors"] == {"base": ["distribution not found"]}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target_schedule_id": MISSING}, "target_schedule_id"),
        ({"target_schedule_id": "x"}, "target_schedule_id"),
        ({"priority": -1}, "priority"),
        ({"weight": 0}, "weight"),
        ({"weight": 1_000_001}, "weight"),
        ({"name": "n" * 201}, "name"),
        ({"colour": "red"}, "colour"),
        ({"conditions": [{"field": "state", "operator": "like", "value": "T"}]}, None),
        ({"conditions": [{"field": "state", "operator": "in", "value": "TX"}]}, None),
        ({"conditions": [{"field": "state", "operator": "exists", "value": 1}]}, None),
        ({"conditions": [{"field": "state", "operator": "equals"}]}, None),
        ({"conditions": [{"field": "", "operator": "exists"}]}, None),
    ],
)
async def test_each_bad_field_is_named_in_a_422(
    client: httpx.AsyncClient,
    factory: Factory,
    fields: dict[str, Any],
    field: str | None,
) -> None:
    tenant = await factory.tenant()
    router, target = await _router_and_target(factory, tenant)
    body = {"target_schedule_id": target.id, **fields}
    body = {name: value for name, value in body.items() if value is not MISSING}
    response = await _create(client, tenant, router, **body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    if field is None:
        assert errors, errors
        assert all(name.startswith("conditions.0") for name in errors), errors
    else:
        assert list(errors) == [field], errors


async def test_several_bad_fields_are_each_named(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router, target = await _router_and_target(factory, tenant)
    response = await _create(
        client, tenant, router, target_schedule_id=target.id, priority=-1, weight=0
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"priority", "weight"}


async def test_a_null_in_an_update_is_refused_by_name(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router, target = await _router_and_target(factory, tenant)
    created = (await _create(client, tenant, router, target_schedule_id=target.id)).json()
    response = await client.put(
        _url(router, created["distribution"]["id"]),
        json={"weight": None, "target_schedule_id": None},
        headers=tenant.auth,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "target_schedule_id": ["can't be blank"],
        "weight": ["can't be blank"],
    }


async def test_a_router_never_targets_a_router(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    router, target = await _router_and_target(factory, tenant)
    other_router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    for target_id in (other_router.id, router.id):
        refused = await _create(client, tenant, router, target_schedule_id=target_id)
        assert refused.status_code == 422
        assert list(refused.json()["errors"]) == ["target_schedule_id"]
        assert (
            "router cannot target another router"
            in refused.json()["errors"]["target_schedule_id"][0]
        )

    created = (await _create(client, tenant, router, target_schedule_id=target.id)).json()
    moved = await client.put(
        _url(router, created["distribution"]["id"]),
        json={"target_schedule_id": other_router.id},
        headers=tenant.auth,
    )
    assert moved.status_code == 422
    assert list(moved.json()["errors"]) == ["target_schedule_id"]


async def test_only_a_lead_distribution_schedule_has_distributions(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    caller, target = await factory.schedule(tenant), await factory.schedule(tenant)
    for response in (
        await _create(client, tenant, caller, target_schedule_id=target.id),
        await client.get(_url(caller), headers=tenant.auth),
    ):
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "schedule_id": ["must be a lead_distribution schedule to have distributions"]
        }


async def test_unknown_schedule_or_distribution_is_a_404(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router, _ = await _router_and_target(factory, tenant)
    for url in (_url(999_999), _url("not-a-uuid"), _url(router, 999_999), _url(router, 2**70)):
        response = await client.get(url, headers=tenant.auth)
        assert response.status_code == 404, url


async def test_another_companys_router_rows_and_targets_are_out_of_reach(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    my_router, my_target = await _router_and_target(factory, mine)
    their_router, their_target = await _router_and_target(factory, theirs)
    their_row = (
        await _create(client, theirs, their_router, target_schedule_id=their_target.id)
    ).json()["distribution"]

    assert (await client.get(_url(their_router), headers=mine.auth)).status_code == 404
    assert (
        await _create(client, mine, their_router, target_schedule_id=my_target.id)
    ).status_code == 404
    # Whatever is sent: another company's router is not there to validate a body against.
    assert (await _create(client, mine, their_router, weight=0)).status_code == 404
    bad_update = await client.put(
        _url(their_router, their_row["id"]), json={"weight": "heavy"}, headers=mine.auth
    )
    assert bad_update.status_code == 404
    for method in ("GET", "PUT", "DELETE"):
        for url in (_url(their_router, their_row["id"]), _url(my_router, their_row["id"])):
            response = await client.request(method, url, json={"weight": 3}, headers=mine.auth)
            assert response.status_code == 404, (method, url)

    foreign_target = await _create(client, mine, my_router, target_schedule_id=their_target.id)
    assert foreign_target.status_code == 422
    assert foreign_target.json()["errors"] == {
        "target_schedule_id": ["is not one of your schedules"]
    }
    mine_listed = await client.get(_url(my_router), headers=mine.auth)
    assert mine_listed.json()["distributions"] == []
    still = await client.get(_url(their_router, their_row["id"]), headers=theirs.auth)
    assert still.json()["distribution"]["weight"] == 1


async def test_a_distribution_is_reachable_only_under_its_own_router(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    router, target = await _router_and_target(factory, tenant)
    second_router = await factory.schedule(tenant, schedule_type=LEAD_DISTRIBUTION)
    row = (await _create(client, tenant, router, target_schedule_id=target.id)).json()
    response = await client.get(_url(second_router, row["distribution"]["id"]), headers=tenant.auth)
    assert response.status_code == 404


async def test_distributions_need_credentials(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    router, target = await _router_and_target(factory, tenant)
    response = await client.post(_url(router), json={"target_schedule_id": target.id})
    assert response.status_code == 401
