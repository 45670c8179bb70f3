"""Uploading a smaller list through the API: a new version, in force at once, rejected rows
counted; the shared lists change only with the ``dnc`` write permission."""

from __future__ import annotations

import gzip

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from tests.factories import Factory
from tests.support.credentials import key_with_permissions


async def test_an_uploaded_list_is_the_new_version_and_checks_find_it(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    body = gzip.compress(b"areacode,number\n212,5550123\n212,555012\n310,5550000\n")
    answer = await client.post("/api/v1/dnc/lists/litigator", content=body, headers=tenant.auth)
    assert answer.status_code == 200, answer.text
    made = answer.json()["dnc_import"]
    assert (made["list"], made["version"], made["numbers"], made["rejected"]) == (
        "litigator",
        1,
        2,
        1,
    )
    removal = await client.post(
        "/api/v1/dnc/lists/litigator",
        params={"change": "deletions"},
        content=b"3105550000\n",
        headers=tenant.auth,
    )
    assert removal.json()["dnc_import"]["version"] == 2
    check = await client.get(
        "/api/v1/dnc/check", params={"number": "+12125550123"}, headers=tenant.auth
    )
    assert check.json()["dnc_check"]["lists"] == [
        {"name": "litigator", "version": 2, "unavailable": False}
    ]
    other = await client.get(
        "/api/v1/dnc/check", params={"number": "+13105550000"}, headers=tenant.auth
    )
    assert other.json()["dnc_check"]["listed"] is False


async def test_an_upload_needs_the_dnc_permission_and_a_known_list(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    contacts_only = await key_with_permissions(
        state_of(app).sessionmaker, clock, tenant.company.id, {"contacts": ["read", "write"]}
    )
    refused = await client.post(
        "/api/v1/dnc/lists/federal", content=b"2125550123\n", headers=contacts_only
    )
    assert refused.status_code == 403, refused.text
    unknown = await client.post(
        "/api/v1/dnc/lists/wireless", content=b"2125550123\n", headers=tenant.auth
    )
    assert unknown.status_code == 422
    assert "is not a list" in unknown.text


async def test_a_broken_archive_is_refused_and_the_list_stays(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    first = await client.post(
        "/api/v1/dnc/lists/litigator", content=b"2125550123\n", headers=tenant.auth
    )
    assert first.status_code == 200
    for broken in (gzip.compress(b"2125550124\n")[:15], b"PK\x03\x04garbage"):
        answer = await client.post(
            "/api/v1/dnc/lists/litigator", content=broken, headers=tenant.auth
        )
        assert answer.status_code == 422, answer.text
        assert "the file cannot be read" in answer.text
    lists = await client.get("/api/v1/dnc/lists", headers=tenant.auth)
    assert [item["version"] for item in lists.json()["dnc"]["lists"]] == [1]
