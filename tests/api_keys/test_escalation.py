"""A key may create, change or revoke only a key no more powerful than itself: a key allowed
to manage keys must not cut off the company's full-access key or mint itself more rights."""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.api_keys.permissions import powers_beyond
from tests.factories import Factory, Tenant
from tests.support.credentials import basic_auth

KEY_MANAGER = {"api_keys": ["read", "write"]}


async def create_key(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    body.setdefault("name", "a key")
    return await client.post("/api/v1/api_keys", json=body, headers=headers)


async def issued(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    created = await create_key(client, headers, **body)
    assert created.status_code == 200, created.text
    key: dict[str, Any] = created.json()["api_key"]
    return key


def headers_of(key: dict[str, Any]) -> dict[str, str]:
    return basic_auth(key["public_key"], key["private_key"])


async def full_key_id(client: httpx.AsyncClient, tenant: Tenant) -> int:
    listed = await client.get("/api/v1/api_keys", headers=tenant.auth)
    (key,) = [k for k in listed.json()["api_keys"] if k["public_key"] == tenant.public_key]
    return int(key["id"])


async def test_a_key_manager_may_not_revoke_the_full_access_key(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    manager = headers_of(await issued(client, tenant.auth, permissions=KEY_MANAGER))
    full_id = await full_key_id(client, tenant)

    refused = await client.delete(f"/api/v1/api_keys/{full_id}", headers=manager)

    assert refused.status_code == 403
    assert refused.json()["status"] == 403
    assert refused.json()["errors"] == {
        "base": ["this key may not revoke a key holding more than it does: *:read, *:write"]
    }
    still = await client.get(f"/api/v1/api_keys/{full_id}", headers=tenant.auth)
    assert still.status_code == 200
    assert still.json()["api_key"]["revoked_at"] is None


async def test_a_key_manager_may_not_create_a_key_with_rights_it_lacks(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    manager = headers_of(await issued(client, tenant.auth, permissions=KEY_MANAGER))

    leads = await create_key(client, manager, permissions={"leads": ["read"]})
    full = await create_key(client, manager, permissions={"*": ["read", "write"]})

    assert leads.status_code == 403
    assert leads.json()["errors"] == {
        "base": ["this key may not grant what it does not hold: leads:read"]
    }
    assert full.status_code == 403
    listed = await client.get("/api/v1/api_keys", headers=tenant.auth)
    assert len(listed.json()["api_keys"]) == 2


async def test_a_key_manager_may_revoke_and_create_keys_no_stronger_than_itself(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    manager = headers_of(await issued(client, tenant.auth, permissions=KEY_MANAGER))

    weaker = await issued(client, manager, permissions={"api_keys": ["read"]})
    revoked = await client.delete(f"/api/v1/api_keys/{weaker['id']}", headers=manager)

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["api_key"]["revoked_at"] is not None


async def test_a_full_access_key_may_revoke_any_key_and_grant_anything(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    manager = await issued(client, tenant.auth, permissions=KEY_MANAGER)

    reader = await create_key(client, tenant.auth, permissions={"leads": ["read"]})
    revoked = await client.delete(f"/api/v1/api_keys/{manager['id']}", headers=tenant.auth)

    assert reader.status_code == 200, reader.text
    assert revoked.status_code == 200, revoked.text
    gone = await client.get("/api/v1/api_keys", headers=headers_of(manager))
    assert gone.status_code == 401


async def test_a_key_limited_to_an_address_may_not_create_one_usable_anywhere(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    # The test client calls from 203.0.113.7.
    tenant = await factory.tenant()
    office = headers_of(
        await issued(
            client,
            tenant.auth,
            permissions={"*": ["read", "write"]},
            ip_allowlist=["203.0.113.0/24"],
        )
    )

    anywhere = await create_key(client, office, permissions={"leads": ["read"]})
    wider = await create_key(
        client, office, permissions={"leads": ["read"]}, ip_allowlist=["203.0.0.0/16"]
    )
    inside = await create_key(
        client, office, permissions={"leads": ["read"]}, ip_allowlist=["203.0.113.7"]
    )

    assert anywhere.status_code == 403
    assert anywhere.json()["errors"] == {
        "base": ["this key may not grant what it does not hold: ip any address"]
    }
    assert wider.status_code == 403
    assert inside.status_code == 200, inside.text


async def test_a_key_limited_to_an_address_may_not_revoke_one_usable_anywhere(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    office = headers_of(
        await issued(
            client,
            tenant.auth,
            permissions={"*": ["read", "write"]},
            ip_allowlist=["203.0.113.7"],
        )
    )
    refused = await client.delete(
        f"/api/v1/api_keys/{await full_key_id(client, tenant)}", headers=office
    )
    assert refused.status_code == 403


def test_a_key_is_beyond_another_by_what_it_holds_and_where_it_may_be_used() -> None:
    manager = {"api_keys": ["read", "write"]}
    assert powers_beyond(manager, [], {"*": ["read"]}, []) == ["*:read"]
    assert powers_beyond(manager, [], {"api_keys": ["write"]}, []) == []
    assert powers_beyond({"*": ["read", "write"]}, [], {"leads": ["read"]}, ["10.0.0.1"]) == []
    assert powers_beyond(manager, ["10.0.0.0/8"], manager, ["10.1.0.0/16"]) == []
    assert powers_beyond(manager, ["10.0.0.0/8"], manager, ["2001:db8::/32"]) == [
        "ip 2001:db8::/32"
    ]
    assert powers_beyond(manager, ["10.0.0.0/8"], manager, []) == ["ip any address"]
