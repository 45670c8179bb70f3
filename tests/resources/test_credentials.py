"""Company resources need `Authorization: Basic base64(public_key:private_key)` with permission."""

from __future__ import annotations

import base64

import httpx
import pytest
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from tests.factories import Factory
from tests.support.credentials import basic_auth, key_with_permissions

RESOURCES = ("offers", "schedules", "traffic_sources", "numbers")


@pytest.mark.parametrize("resource", RESOURCES)
async def test_missing_credentials_are_401_saying_what_to_send(
    client: httpx.AsyncClient, resource: str
) -> None:
    response = await client.get(f"/api/v1/{resource}")
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "errors": {
            "base": [
                "missing credentials: send Authorization: Basic base64(public_key:private_key)"
            ]
        },
        "error_code": "unauthorized",
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":only-private").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic",
    ],
)
async def test_malformed_credentials_are_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/v1/offers", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["errors"] == {
        "base": ["Authorization must be Basic base64(public_key:private_key)"]
    }


async def test_wrong_private_key_is_401(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await client.get(
        "/api/v1/offers", headers=basic_auth(tenant.public_key, "lfprv_wrong")
    )
    assert response.status_code == 401
    assert response.json()["errors"] == {"base": ["unknown or revoked key pair"]}


async def test_unknown_public_key_is_401(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await client.get(
        "/api/v1/offers", headers=basic_auth("lfpub_unknown", tenant.private_key)
    )
    assert response.status_code == 401


async def test_wrong_key_is_refused_even_after_the_right_one_was_accepted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    assert (await client.get("/api/v1/offers", headers=tenant.auth)).status_code == 200
    response = await client.get(
        "/api/v1/offers", headers=basic_auth(tenant.public_key, tenant.private_key + "x")
    )
    assert response.status_code == 401


async def test_revoked_key_is_401(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    headers = await key_with_permissions(
        state_of(app).sessionmaker,
        clock,
        tenant.company.id,
        {"*": ["read", "write"]},
        revoked_at=clock.now(),
    )
    response = await client.get("/api/v1/offers", headers=headers)
    assert response.status_code == 401


async def test_read_only_key_may_read_but_not_write(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant, name="Auto")
    reader = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"offers": ["read"]}
    )
    assert (await client.get("/api/v1/offers", headers=reader)).status_code == 200
    assert (await client.get(f"/api/v1/offers/{offer.id}", headers=reader)).status_code == 200
    for response in (
        await client.post("/api/v1/offers", json={"name": "Life"}, headers=reader),
        await client.put(f"/api/v1/offers/{offer.id}", json={"name": "X"}, headers=reader),
        await client.delete(f"/api/v1/offers/{offer.id}", headers=reader),
    ):
        assert response.status_code == 403
        assert response.json()["errors"] == {"base": ["this key may not write offers"]}
    shown = await client.get(f"/api/v1/offers/{offer.id}", headers=tenant.auth)
    assert shown.json()["offer"]["name"] == "Auto"


async def test_key_for_one_resource_is_403_on_another(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    offers_only = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"offers": ["read", "write"]}
    )
    assert (await client.get("/api/v1/offers", headers=offers_only)).status_code == 200
    response = await client.get("/api/v1/schedules", headers=offers_only)
    assert response.status_code == 403
    assert response.json()["errors"] == {"base": ["this key may not read schedules"]}


async def test_key_limited_to_other_addresses_is_403(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    elsewhere = await key_with_permissions(
        state_of(app).sessionmaker,
        clock,
        tenant.company.id,
        {"*": ["read"]},
        ip_allowlist=["198.51.100.0/24"],
    )
    here = await key_with_permissions(
        state_of(app).sessionmaker,
        clock,
        tenant.company.id,
        {"*": ["read"]},
        ip_allowlist=["203.0.113.0/24"],
    )
    assert (await client.get("/api/v1/offers", headers=elsewhere)).status_code == 403
    assert (await client.get("/api/v1/offers", headers=here)).status_code == 200
