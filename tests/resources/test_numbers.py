"""`/api/v1/numbers`: the company's own numbers, the pool leads are assigned from."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from leadflow.app_state import state_of
from leadflow.models import Company
from tests.factories import Factory


async def test_number_is_stored_as_e164(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/numbers", json={"number": "(719) 313-2645"}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"] == {"root": "number"}
    assert body["number"]["number"] == "+17193132645"
    assert body["number"]["capabilities"] == ["voice", "sms"]


async def test_number_without_country_is_read_in_the_companys_region(
    client: httpx.AsyncClient, factory: Factory, app: object
) -> None:
    tenant = await factory.tenant()
    async with state_of(app).sessionmaker() as session:  # type: ignore[attr-defined]
        await session.execute(
            update(Company).where(Company.id == tenant.company.id).values(default_region="GB")
        )
        await session.commit()
    response = await client.post(
        "/api/v1/numbers", json={"number": "020 7946 0018"}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["number"]["number"] == "+442079460018"


async def test_number_can_be_limited_to_sms(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/numbers",
        json={"number": "+17193132645", "capabilities": ["sms"]},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["number"]["capabilities"] == ["sms"]


async def test_same_number_twice_is_422_however_written(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await client.post("/api/v1/numbers", json={"number": "+17193132645"}, headers=tenant.auth)
    again = await client.post(
        "/api/v1/numbers", json={"number": "719-313-2645"}, headers=tenant.auth
    )
    assert again.status_code == 422
    assert again.json()["errors"] == {"number": ["is already one of your numbers"]}
    listed = await client.get("/api/v1/numbers", headers=tenant.auth)
    assert len(listed.json()["numbers"]) == 1


async def test_two_companies_may_own_the_same_number(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    first, second = await factory.tenant(), await factory.tenant()
    for tenant in (first, second):
        response = await client.post(
            "/api/v1/numbers", json={"number": "+17193132645"}, headers=tenant.auth
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": "12"}, "number"),
        ({"number": ""}, "number"),
        ({}, "number"),
        ({"number": "+17193132645", "capabilities": []}, "capabilities"),
        ({"number": "+17193132645", "capabilities": ["fax"]}, "capabilities.0"),
        ({"number": "+17193132645", "carrier": "x"}, "carrier"),
    ],
)
async def test_bad_number_is_422_naming_the_field(
    client: httpx.AsyncClient, factory: Factory, body: dict[str, object], field: str
) -> None:
    tenant = await factory.tenant()
    response = await client.post("/api/v1/numbers", json=body, headers=tenant.auth)
    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == [field]


async def test_numbers_are_listed_shown_and_deleted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    number = await factory.number(tenant, "+17193132645")
    await factory.number(tenant, "+17193132646", ["sms"])
    listed = await client.get("/api/v1/numbers", headers=tenant.auth)
    assert listed.json()["metadata"]["root"] == "numbers"
    assert [n["number"] for n in listed.json()["numbers"]] == ["+17193132645", "+17193132646"]
    shown = await client.get(f"/api/v1/numbers/{number.uuid}", headers=tenant.auth)
    assert shown.json()["number"]["id"] == number.id
    deleted = await client.delete(f"/api/v1/numbers/{number.id}", headers=tenant.auth)
    assert deleted.status_code == 200
    again = await client.get(f"/api/v1/numbers/{number.id}", headers=tenant.auth)
    assert again.status_code == 404


async def test_what_a_number_is_used_for_can_be_changed_but_not_the_number(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    number = await factory.number(tenant, "+17193132645")
    path = f"/api/v1/numbers/{number.id}"
    changed = await client.put(path, json={"capabilities": ["sms"]}, headers=tenant.auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["number"]["capabilities"] == ["sms"]
    assert changed.json()["number"]["number"] == "+17193132645"

    renumbered = await client.put(path, json={"number": "+17193130000"}, headers=tenant.auth)
    assert renumbered.status_code == 422
    assert "number" in renumbered.json()["errors"]
    emptied = await client.put(path, json={"capabilities": []}, headers=tenant.auth)
    assert emptied.status_code == 422
    assert "capabilities" in emptied.json()["errors"]
    shown = await client.get(path, headers=tenant.auth)
    assert shown.json()["number"]["capabilities"] == ["sms"]


async def test_deleted_number_can_be_added_again(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    number = await factory.number(tenant, "+17193132645")
    await client.delete(f"/api/v1/numbers/{number.id}", headers=tenant.auth)
    response = await client.post(
        "/api/v1/numbers", json={"number": "+17193132645"}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
