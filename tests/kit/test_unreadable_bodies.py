"""A body the framework cannot even decode is the client's mistake: 422 naming ``body`` in the
dialect of the route, never a 400 that no route documents."""

from __future__ import annotations

import httpx

from tests.factories import Factory

UNREADABLE = b"d'\x7f\x0e@{*\x0cj\xff\xfe_"  # not UTF-8, not JSON


async def test_leadsail_route_answers_an_undecodable_body_with_a_validation_error(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    key = {"X-API-Key": f"{tenant.public_key}.{tenant.private_key}"}
    answer = await client.put(
        "/api/v1/campaigns/nope",
        content=UNREADABLE,
        headers={**key, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in error["details"]] == ["body"]


async def test_trackdrive_route_answers_an_undecodable_body_with_a_validation_error(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    answer = await client.post(
        "/api/v1/offers",
        content=UNREADABLE,
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert list(answer.json()["errors"]) == ["body"]
