"""`/api/v1/api_keys`: key pairs with permissions per resource and an optional IP allowlist."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from tests.factories import Factory, Tenant
from tests.support.credentials import basic_auth, key_with_permissions


async def create_key(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    body.setdefault("name", "CRM sync")
    return await client.post("/api/v1/api_keys", json=body, headers=headers)


async def new_key_headers(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, str]:
    created = await create_key(client, tenant.auth, **body)
    assert created.status_code == 200, created.text
    key = created.json()["api_key"]
    return basic_auth(key["public_key"], key["private_key"])


async def test_created_key_shows_its_private_key_once_and_never_a_hash(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    created = await create_key(
        client,
        tenant.auth,
        permissions={"leads": ["write", "read", "read"]},
        ip_allowlist=["203.0.113.7", "198.51.100.9/24"],
    )
    assert created.status_code == 200, created.text
    key = created.json()["api_key"]
    assert key["name"] == "CRM sync"
    assert key["public_key"].startswith("lfpub_")
    assert key["private_key"].startswith("lfprv_")
    assert key["permissions"] == {"leads": ["read", "write"]}
    assert key["ip_allowlist"] == ["203.0.113.7", "198.51.100.0/24"]
    assert key["revoked_at"] is None

    shown = await client.get(f"/api/v1/api_keys/{key['id']}", headers=tenant.auth)
    listed = await client.get("/api/v1/api_keys", headers=tenant.auth)
    assert shown.status_code == 200
    for answer in (shown.text, listed.text):
        assert key["private_key"] not in answer
        assert "private_key" not in answer
        assert "hash" not in answer
    assert [k["public_key"] for k in listed.json()["api_keys"]] == [
        tenant.public_key,
        key["public_key"],
    ]


async def test_read_only_offers_key_lists_offers_but_may_not_create_one(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.offer(tenant, name="Auto")
    reader = await new_key_headers(client, tenant, permissions={"offers": ["read"]})
    listed = await client.get("/api/v1/offers", headers=reader)
    assert listed.status_code == 200
    assert [o["name"] for o in listed.json()["offers"]] == ["Auto"]
    refused = await client.post("/api/v1/offers", json={"name": "Life"}, headers=reader)
    assert refused.status_code == 403
    assert refused.json()["errors"] == {"base": ["this key may not write offers"]}


async def test_key_limited_to_other_addresses_is_refused_from_this_one(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    elsewhere = await new_key_headers(
        client, tenant, permissions={"*": ["read"]}, ip_allowlist=["198.51.100.0/24"]
    )
    here = await new_key_headers(
        client, tenant, permissions={"*": ["read"]}, ip_allowlist=["203.0.113.7"]
    )
    refused = await client.get("/api/v1/offers", headers=elsewhere)
    assert refused.status_code == 403
    assert refused.json()["errors"] == {"base": ["this key may not be used from your IP address"]}
    assert (await client.get("/api/v1/offers", headers=here)).status_code == 200


async def test_revoked_key_is_401_at_once_even_though_it_was_cached(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    created = (await create_key(client, tenant.auth, permissions={"*": ["read"]})).json()
    key = created["api_key"]
    headers = basic_auth(key["public_key"], key["private_key"])
    assert (await client.get("/api/v1/offers", headers=headers)).status_code == 200

    revoked = await client.delete(f"/api/v1/api_keys/{key['id']}", headers=tenant.auth)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["api_key"]["revoked_at"] == "2026-01-05T15:00:00Z"

    refused = await client.get("/api/v1/offers", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["errors"] == {"base": ["unknown or revoked key pair"]}
    assert (await client.get("/api/v1/offers", headers=tenant.auth)).status_code == 200


async def test_revoking_twice_keeps_the_first_revocation_time(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    key = (await create_key(client, tenant.auth, permissions={})).json()["api_key"]
    url = f"/api/v1/api_keys/{key['id']}"
    await client.delete(url, headers=tenant.auth)
    clock.advance(seconds=60)
    again = await client.delete(url, headers=tenant.auth)
    assert again.json()["api_key"]["revoked_at"] == "2026-01-05T15:00:00Z"


async def test_managing_keys_needs_write_on_api_keys(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    reader = await key_with_permissions(
        state_of(app).sessionmaker,
        clock,
        tenant.company.id,
        {"api_keys": ["read"], "offers": ["read"]},
    )
    assert (await client.get("/api/v1/api_keys", headers=reader)).status_code == 200
    refused = await create_key(client, reader, permissions={"offers": ["read"]})
    assert refused.status_code == 403
    assert refused.json()["errors"] == {"base": ["this key may not write api_keys"]}
    revoke = await client.delete("/api/v1/api_keys/1", headers=reader)
    assert revoke.status_code == 403


async def test_a_key_may_not_grant_more_than_it_holds(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    manager = await key_with_permissions(
        state_of(app).sessionmaker,
        clock,
        tenant.company.id,
        {"api_keys": ["read", "write"], "offers": ["read"]},
    )
    refused = await create_key(
        client, manager, permissions={"offers": ["read", "write"], "*": ["read"]}
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == {
        "base": ["this key may not grant what it does not hold: *:read, offers:write"]
    }
    allowed = await create_key(client, manager, permissions={"offers": ["read"]})
    assert allowed.status_code == 200, allowed.text


async def test_unknown_resources_actions_and_addresses_are_422(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    unknown = await create_key(client, tenant.auth, permissions={"widgets": ["read"]})
    assert unknown.status_code == 422
    [message] = unknown.json()["errors"]["permissions"]
    assert "unknown resource widgets; allowed: *, offers, schedules" in message

    action = await create_key(client, tenant.auth, permissions={"offers": ["delete"]})
    assert action.status_code == 422
    assert action.json()["errors"] == {
        "permissions.offers.0": ["Input should be 'read' or 'write'"]
    }

    address = await create_key(
        client, tenant.auth, permissions={"offers": ["read"]}, ip_allowlist=["10.0.0.300"]
    )
    assert address.status_code == 422
    assert address.json()["errors"] == {
        "ip_allowlist": ["Value error, '10.0.0.300' is not an IP address or CIDR network"]
    }


async def test_another_companys_keys_are_404_and_never_listed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    key = (await create_key(client, tenant.auth, permissions={})).json()["api_key"]
    url = f"/api/v1/api_keys/{key['id']}"
    assert (await client.get(url, headers=other.auth)).status_code == 404
    assert (await client.delete(url, headers=other.auth)).status_code == 404
    listed = await client.get("/api/v1/api_keys", headers=other.auth)
    assert [k["public_key"] for k in listed.json()["api_keys"]] == [other.public_key]
    assert (await client.get(url, headers=tenant.auth)).json()["api_key"]["revoked_at"] is None


async def test_keys_list_with_the_listing_convention_and_never_show_secrets(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await create_key(client, tenant.auth, name="Zapier", permissions={})
    listed = await client.get(
        "/api/v1/api_keys", params={"fulltext": "zapier", "order": "name"}, headers=tenant.auth
    )
    assert listed.status_code == 200, listed.text
    assert [k["name"] for k in listed.json()["api_keys"]] == ["Zapier"]
    refused = await client.get(
        "/api/v1/api_keys", params={"columns": "private_key_hash"}, headers=tenant.auth
    )
    assert refused.status_code == 422
    assert "columns" in refused.json()["errors"]
