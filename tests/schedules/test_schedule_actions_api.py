"""The schedules API stores actions that pass validation and names every mistake (422)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Factory, Tenant

ACTIONS: list[dict[str, Any]] = [
    {"type": "call", "connect_to": "(719) 313-2645"},
    {"type": "wait", "hours": 4},
    {"type": "sms", "body": "Hi [first_name]{there}, call us back"},
    {
        "type": "choice",
        "conditions": [{"field": "lead.contact_attempts", "operator": "less_than", "value": 3}],
        "then": 0,
        "else": "exit",
    },
]


async def create(
    client: httpx.AsyncClient, tenant: Tenant, offer_id: int, actions: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/schedules",
        json={"name": "Follow up", "offer_id": offer_id, "actions": actions},
        headers=tenant.auth,
    )


async def test_schedule_is_created_with_validated_actions(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    response = await create(client, tenant, offer.id, ACTIONS)
    assert response.status_code == 200, response.text
    actions = response.json()["schedule"]["actions"]
    assert actions[0] == {
        "type": "call",
        "connect_to": "+17193132645",
        "buyer_id": None,
        "max_ring_seconds": 30,
    }
    assert actions[3]["else"] == "exit"


async def test_stored_actions_read_back_the_same(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    created = (await create(client, tenant, offer.id, ACTIONS)).json()["schedule"]
    response = await client.get(f"/api/v1/schedules/{created['id']}", headers=tenant.auth)
    assert response.status_code == 200, response.text
    assert response.json()["schedule"]["actions"] == created["actions"]


async def test_schedule_without_actions_has_none(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    response = await client.post(
        "/api/v1/schedules", json={"name": "Empty", "offer_id": offer.id}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["schedule"]["actions"] == []


async def test_invalid_actions_answer_422_naming_each_field(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    response = await create(
        client,
        tenant,
        offer.id,
        [
            {"type": "wait"},
            {"type": "sms", "body": "{{ ''.__class__.__mro__ }}"},
            {"type": "webhook", "url": "ftp://example.test"},
        ],
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "at least one second" in errors["actions.0.wait"][0]
    assert "must start with http" in errors["actions.2.webhook.url"][0]
    assert "not allowed" in errors["actions.1.sms.body"][0]


async def test_unknown_action_type_answers_422(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    response = await create(client, tenant, offer.id, [{"type": "fax"}])
    assert response.status_code == 422
    assert "does not match any of the expected tags" in response.json()["errors"]["actions.0"][0]


async def test_choice_jumping_outside_the_schedule_answers_422(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    choice = {"type": "choice", "conditions": [{"field": "a", "operator": "exists"}], "then": 4}
    response = await create(client, tenant, offer.id, [choice])
    assert response.status_code == 422
    assert "then goes to action 4" in response.json()["errors"]["actions"][0]


async def test_update_replaces_actions(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, actions=[{"type": "call"}])
    response = await client.put(
        f"/api/v1/schedules/{schedule.id}",
        json={"actions": [{"type": "email", "subject": "Hi", "body": "[first_name]"}]},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    assert [a["type"] for a in response.json()["schedule"]["actions"]] == ["email"]


async def test_update_with_invalid_actions_keeps_the_old_ones(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, actions=[{"type": "call"}])
    response = await client.put(
        f"/api/v1/schedules/{schedule.id}",
        json={"actions": [{"type": "call", "max_ring_seconds": 1}]},
        headers=tenant.auth,
    )
    assert response.status_code == 422
    assert "actions.0.call.max_ring_seconds" in response.json()["errors"]
    shown = await client.get(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    assert shown.json()["schedule"]["actions"][0]["max_ring_seconds"] == 30


async def test_update_without_actions_leaves_them_alone(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, actions=[{"type": "opt_out"}])
    response = await client.put(
        f"/api/v1/schedules/{schedule.id}", json={"name": "Renamed"}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["schedule"]["actions"] == [{"type": "opt_out"}]
