"""Which lead changes become deliveries: written with the change, in its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.db.statements import Sql
from leadflow.leads.params import parse_intake
from leadflow.leads.rules import IntakeContext
from leadflow.leads.service import intake
from tests.webhooks.conftest import CALLER, Hooks

HOOK = "https://hooks.example.com/leadflow"
DIGITS = CALLER.removeprefix("+1")


def _comparable(lead: dict[str, Any]) -> dict[str, Any]:
    """Times as instants: the resource endpoints write ``Z`` where intake writes ``+00:00``."""
    return {
        name: datetime.fromisoformat(value) if name.endswith("_at") and value else value
        for name, value in lead.items()
    }


async def _events(hooks: Hooks, subscription: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    listed = await hooks.deliveries(subscription["id"], order="id")
    return [(d["event"], d["payload"]["data"]) for d in listed]


async def test_intake_with_no_subscriptions_writes_no_delivery(hooks: Hooks) -> None:
    await hooks.subscribe(HOOK, event="lead_converted")
    await hooks.post_lead()
    assert await hooks.delivery_count() == 0


async def test_rolled_back_intake_leaves_no_delivery(
    hooks: Hooks, app: FastAPI, clock: FrozenClock
) -> None:
    await hooks.subscribe(HOOK)
    owner = await state_of(app).owner_cache.resolve(hooks.schedule.leads_api_key)
    params = parse_intake({"caller_id": CALLER}, owner.region)

    def unit(sql: Sql) -> None:
        intake(sql, owner, params, IntakeContext(now=clock.now(), remote_ip=None))
        raise RuntimeError("the request failed after intake wrote its rows")

    with pytest.raises(RuntimeError):
        await state_of(app).committer.run(unit)

    assert await hooks.delivery_count() == 0
    await hooks.post_lead()
    assert await hooks.delivery_count() == 1


async def test_new_lead_payload_is_the_lead_as_intake_answers_it(hooks: Hooks) -> None:
    subscription = await hooks.subscribe(HOOK)
    source = await hooks.factory.traffic_source(hooks.tenant)
    lead = await hooks.post_lead(traffic_source_id=source.id, sub_id="spring", first_name="Ada")
    assert await _events(hooks, subscription) == [("new_lead", lead)]


async def test_sub_id_and_traffic_source_filters_match_the_lead(hooks: Hooks) -> None:
    source = await hooks.factory.traffic_source(hooks.tenant)
    wanted = {"traffic_source_id": source.id, "sub_id": "spring"}
    subscription = await hooks.subscribe(HOOK, trigger_fields=wanted)

    await hooks.post_lead(traffic_source_id=source.id, sub_id="autumn")
    await hooks.post_lead(caller_id="+17193132646", sub_id="spring")
    assert await _events(hooks, subscription) == []
    await hooks.post_lead(caller_id="+17193132647", traffic_source_id=source.id, sub_id="spring")
    [(event, data)] = await _events(hooks, subscription)
    assert (event, data["caller_id"]) == ("new_lead", "+17193132647")


async def test_lead_update_through_the_api_is_lead_changed(hooks: Hooks) -> None:
    subscription = await hooks.subscribe(HOOK, event="lead_changed")
    lead = await hooks.post_lead()
    response = await hooks.client.put(
        f"/api/v1/leads/{lead['id']}", json={"email": "ada@example.com"}, headers=hooks.tenant.auth
    )
    assert response.status_code == 200, response.text
    [(event, data)] = await _events(hooks, subscription)
    assert event == "lead_changed"
    assert _comparable(data) == _comparable(response.json()["lead"])


async def test_opting_a_lead_out_through_the_api_is_lead_opted_out(hooks: Hooks) -> None:
    subscription = await hooks.subscribe(HOOK, event="lead_opted_out")
    lead = await hooks.post_lead()
    response = await hooks.client.put(
        f"/api/v1/leads/{lead['id']}", json={"opt_out": True}, headers=hooks.tenant.auth
    )
    assert response.status_code == 200, response.text
    [(event, data)] = await _events(hooks, subscription)
    assert event == "lead_opted_out"
    assert (data["id"], data["status"], data["opt_out"]) == (lead["id"], "opt_out", True)


async def test_caller_opt_out_is_lead_opted_out_for_every_lead_it_ends(hooks: Hooks) -> None:
    subscription = await hooks.subscribe(HOOK, event="lead_opted_out")
    other = await hooks.factory.schedule(hooks.tenant)
    first = await hooks.post_lead()
    second = await hooks.post_lead(token=other.leads_api_key)
    response = await hooks.client.put(
        f"/api/v1/leads/{DIGITS}/caller_opt_out",
        params={"lead_token": hooks.schedule.leads_api_key},
    )
    assert response.status_code == 200, response.text
    events = await _events(hooks, subscription)
    assert sorted((event, data["id"], data["status"]) for event, data in events) == [
        ("lead_opted_out", first["id"], "opt_out"),
        ("lead_opted_out", second["id"], "opt_out"),
    ]


async def test_removing_or_deleting_a_live_lead_is_lead_ended(hooks: Hooks) -> None:
    subscription = await hooks.subscribe(HOOK, event="lead_ended")
    removed = await hooks.post_lead()
    response = await hooks.client.post(
        f"/api/v1/leads/{DIGITS}/caller_remove",
        params={"lead_token": hooks.schedule.leads_api_key},
    )
    assert response.status_code == 200, response.text
    deleted = await hooks.post_lead(caller_id="+17193132646")
    response = await hooks.client.delete(
        f"/api/v1/leads/{deleted['id']}", headers=hooks.tenant.auth
    )
    assert response.status_code == 200, response.text

    events = await _events(hooks, subscription)
    assert [(event, data["id"]) for event, data in events] == [
        ("lead_ended", removed["id"]),
        ("lead_ended", deleted["id"]),
    ]
    assert events[0][1]["status"] == "disabled"


async def test_blocking_a_lead_through_the_api_is_lead_ended(hooks: Hooks) -> None:
    subscription = await hooks.subscribe(HOOK, event="lead_ended")
    lead = await hooks.post_lead()
    response = await hooks.client.put(
        f"/api/v1/leads/{lead['id']}", json={"blocked": True}, headers=hooks.tenant.auth
    )
    assert response.status_code == 200, response.text
    [(event, data)] = await _events(hooks, subscription)
    assert (event, data["id"], data["status"]) == ("lead_ended", lead["id"], "blocked")


async def test_another_companys_subscription_never_gets_the_lead(hooks: Hooks) -> None:
    other = await hooks.factory.tenant()
    response = await hooks.client.post(
        "/api/v1/subscriptions", json={"target_url": HOOK, "event": "new_lead"}, headers=other.auth
    )
    assert response.status_code == 200, response.text
    await hooks.post_lead()
    assert await hooks.delivery_count() == 0
