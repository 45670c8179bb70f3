"""A company only ever sees, changes or deletes its own rows, whatever id it guesses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.factories import Factory, Tenant

RowMaker = Callable[[Factory, Tenant], Awaitable[Any]]

ROWS: dict[str, tuple[str, RowMaker, dict[str, Any]]] = {
    "offers": ("offer", lambda f, t: f.offer(t), {"name": "Mine now"}),
    "schedules": ("schedule", lambda f, t: f.schedule(t), {"name": "Mine now"}),
    "traffic_sources": ("traffic_source", lambda f, t: f.traffic_source(t), {"name": "Mine"}),
    "numbers": ("number", lambda f, t: f.number(t, "+17193132645"), {}),
}


@pytest.mark.parametrize("resource", ROWS)
async def test_another_companys_row_is_404_by_id_and_by_uuid(
    client: httpx.AsyncClient, factory: Factory, resource: str
) -> None:
    owner, stranger = await factory.tenant(), await factory.tenant()
    root, make, _ = ROWS[resource]
    row = await make(factory, owner)
    for ref in (row.id, row.uuid):
        response = await client.get(f"/api/v1/{resource}/{ref}", headers=stranger.auth)
        assert response.status_code == 404
        assert response.json()["errors"] == {"base": [f"{root.replace('_', ' ')} not found"]}


@pytest.mark.parametrize("resource", ROWS)
async def test_another_companys_row_cannot_be_changed_or_deleted(
    client: httpx.AsyncClient, factory: Factory, resource: str
) -> None:
    owner, stranger = await factory.tenant(), await factory.tenant()
    root, make, change = ROWS[resource]
    row = await make(factory, owner)
    if resource != "numbers":
        updated = await client.put(
            f"/api/v1/{resource}/{row.id}", json=change, headers=stranger.auth
        )
        assert updated.status_code == 404
    deleted = await client.delete(f"/api/v1/{resource}/{row.id}", headers=stranger.auth)
    assert deleted.status_code == 404
    shown = await client.get(f"/api/v1/{resource}/{row.id}", headers=owner.auth)
    assert shown.status_code == 200
    assert shown.json()[root].get("name") != "Mine now"
    assert shown.json()[root]["updated_at"] == "2026-01-05T15:00:00Z"


@pytest.mark.parametrize("resource", ROWS)
async def test_lists_show_only_the_companys_own_rows(
    client: httpx.AsyncClient, factory: Factory, resource: str
) -> None:
    owner, stranger = await factory.tenant(), await factory.tenant()
    _, make, _ = ROWS[resource]
    mine = await make(factory, owner)
    theirs = await make(factory, stranger)
    own_list = await client.get(f"/api/v1/{resource}", headers=owner.auth)
    their_list = await client.get(f"/api/v1/{resource}", headers=stranger.auth)
    assert [r["id"] for r in own_list.json()[resource]] == [mine.id]
    assert [r["id"] for r in their_list.json()[resource]] == [theirs.id]


async def test_schedule_of_another_company_cannot_take_your_offer(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner, stranger = await factory.tenant(), await factory.tenant()
    offer = await factory.offer(owner)
    response = await client.post(
        "/api/v1/schedules", json={"name": "Theirs", "offer_id": offer.id}, headers=stranger.auth
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["offer_id"]
