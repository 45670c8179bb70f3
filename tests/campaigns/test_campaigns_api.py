"""``/api/v1/campaigns`` and ``/api/v1/field_library`` in the LeadSail dialect."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Campaign
from tests.factories import Factory, Tenant
from tests.support.credentials import key_with_permissions

PATH = "/api/v1/campaigns"


def api_key(tenant: Tenant) -> dict[str, str]:
    return {"X-API-Key": f"{tenant.public_key}.{tenant.private_key}"}


def campaign(**fields: Any) -> dict[str, Any]:
    return {"name": "Auto buyer", "code": "auto", "timeZone": "America/Chicago", **fields}


async def _create(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    answer = await client.post(PATH, json=campaign(**fields), headers=api_key(tenant))
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_a_created_campaign_is_shown_by_id_and_by_code(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = await _create(
        client, tenant, duplicateWindowDays=7, caps={"daily": 10}, requiredFields=["email"]
    )
    assert (created["status"], created["timeZone"], created["duplicateWindowDays"]) == (
        "active",
        "America/Chicago",
        7,
    )
    assert created["caps"]["daily"] == 10
    assert created["requiredFields"] == ["email"]
    for ref in (created["id"], "auto"):
        shown = await client.get(f"{PATH}/{ref}", headers=api_key(tenant))
        assert shown.status_code == 200
        assert shown.json() == {"success": True, "data": created}
    listed = await client.get(PATH, headers=api_key(tenant))
    assert [c["id"] for c in listed.json()["data"]] == [created["id"]]


async def test_every_problem_of_a_campaign_is_named(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    body = campaign(
        timeZone="Mars/Olympus",
        duplicateWindowDays=400,
        status="paused",
        capz={"daily": 1},
        fallbackCampaignIds=["nope"],
    )
    answer = await client.post(PATH, json=body, headers=api_key(tenant))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {d["field"] for d in error["details"]} >= {
        "timeZone",
        "duplicateWindowDays",
        "status",
        "capz",
    }


async def test_fallbacks_must_be_other_campaigns_of_the_company(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    theirs = await _create(client, other, code="theirs")
    mine = await _create(client, tenant)
    answer = await client.put(
        f"{PATH}/{mine['id']}",
        json={"fallbackCampaignIds": [theirs["id"], "auto"]},
        headers=api_key(tenant),
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == [
        {
            "field": "fallbackCampaignIds.0",
            "message": f"no campaign {theirs['id']!r} in your company",
        },
        {"field": "fallbackCampaignIds.1", "message": "must not name the campaign itself"},
    ]
    backup = await _create(client, tenant, code="backup")
    answer = await client.put(
        f"{PATH}/auto", json={"fallbackCampaignIds": ["backup"]}, headers=api_key(tenant)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["fallbackCampaignIds"] == ["backup"]
    assert backup["id"] != mine["id"]


async def test_secrets_are_masked_on_read_and_kept_when_sent_back(
    client: httpx.AsyncClient, factory: Factory, app: Any
) -> None:
    tenant = await factory.tenant()
    endpoint = {
        "url": "https://buyer.example.com/leads",
        "headers": {"Authorization": "Bearer s3cret", "Accept": "application/json"},
    }
    created = await _create(client, tenant, endpoint=endpoint)
    assert created["endpoint"]["headers"] == {
        "Authorization": "********",
        "Accept": "application/json",
    }
    renamed = await client.put(
        f"{PATH}/{created['id']}",
        json={"name": "Renamed", "endpoint": created["endpoint"]},
        headers=api_key(tenant),
    )
    assert renamed.status_code == 200, renamed.text
    async with state_of(app).sessionmaker() as session:
        row = (await session.scalars(select(Campaign).where(Campaign.uuid == created["id"]))).one()
    assert row.name == "Renamed"
    assert row.config["endpoint"]["headers"]["Authorization"] == "Bearer s3cret"


async def test_a_campaign_of_another_company_is_not_found(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    created = await _create(client, tenant)
    for method in ("GET", "PUT", "DELETE"):
        answer = await client.request(
            method, f"{PATH}/{created['id']}", json={}, headers=api_key(other)
        )
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "NOT_FOUND"


async def test_campaigns_need_an_api_key(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    for headers in ({}, {"X-API-Key": f"{tenant.public_key}.wrong"}, {"X-API-Key": "junk"}):
        answer = await client.get(PATH, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "UNAUTHORIZED"


async def test_a_campaign_without_submissions_is_deleted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = await _create(client, tenant)
    answer = await client.delete(f"{PATH}/{created['id']}", headers=api_key(tenant))
    assert answer.json()["data"] == {"id": created["id"], "deleted": True, "archived": False}
    assert (await client.get(f"{PATH}/{created['id']}", headers=api_key(tenant))).status_code == 404


async def test_a_campaign_named_as_a_fallback_is_archived_not_deleted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    backup = await _create(client, tenant, code="backup")
    await _create(client, tenant, fallbackCampaignIds=["backup"])
    answer = await client.delete(f"{PATH}/backup", headers=api_key(tenant))
    assert answer.json()["data"] == {"id": backup["id"], "deleted": False, "archived": True}
    shown = await client.get(f"{PATH}/backup", headers=api_key(tenant))
    assert shown.json()["data"]["status"] == "archived"


async def test_the_field_library_is_replaced_and_read(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    url = "/api/v1/field_library"
    first = await client.put(url, json={"dob": "Date of Birth"}, headers=api_key(tenant))
    assert first.status_code == 200, first.text
    await client.put(url, json={"injury_type": " Type of Injury "}, headers=api_key(tenant))
    shown = await client.get(url, headers=api_key(tenant))
    assert shown.json() == {"success": True, "data": {"injury_type": "Type of Injury"}}
    bad = await client.put(url, json={"x": ""}, headers=api_key(tenant))
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "x"


async def test_a_key_granted_only_campaigns_read_lists_but_cannot_create(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    basic = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"campaigns": ["read"]}
    )
    public, private = base64.b64decode(basic["Authorization"].split()[1]).decode().split(":")
    limited = {"X-API-Key": f"{public}.{private}"}
    assert (await client.get(PATH, headers=limited)).status_code == 200
    refused = await client.post(PATH, json=campaign(), headers=limited)
    assert refused.status_code == 403, refused.text
    assert refused.json()["success"] is False
