"""A schedule's do-not-call settings through the schedules API: stored, shown, checked."""

from __future__ import annotations

import httpx

from tests.factories import Factory


async def test_schedule_shows_the_default_settings_and_stores_changes(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    shown = await client.get(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    assert shown.json()["schedule"]["dnc_settings"] == {
        "lists": {},
        "exempt_recent_inquiry": False,
        "recent_inquiry_days": 90,
        "exempt_written_consent": False,
    }
    settings = {
        "lists": {"federal": False, "state:tx": True, "state": False},
        "exempt_recent_inquiry": True,
        "recent_inquiry_days": 30,
    }
    changed = await client.put(
        f"/api/v1/schedules/{schedule.id}", json={"dnc_settings": settings}, headers=tenant.auth
    )
    assert changed.status_code == 200, changed.text
    again = await client.get(f"/api/v1/schedules/{schedule.id}", headers=tenant.auth)
    assert again.json()["schedule"]["dnc_settings"] == {
        "lists": {"federal": False, "state:TX": True, "state": False},
        "exempt_recent_inquiry": True,
        "recent_inquiry_days": 30,
        "exempt_written_consent": False,
    }


async def test_the_internal_list_cannot_be_turned_off_nor_an_unknown_list_named(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    for lists, message in (
        ({"internal": False}, "the internal list always applies"),
        ({"wireless": False}, "'wireless' is not a list"),
    ):
        answer = await client.put(
            f"/api/v1/schedules/{schedule.id}",
            json={"dnc_settings": {"lists": lists}},
            headers=tenant.auth,
        )
        assert answer.status_code == 422, answer.text
        assert message in answer.text


async def test_a_new_schedule_takes_its_settings_on_create(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    created = await client.post(
        "/api/v1/schedules",
        json={
            "name": "Consented leads",
            "offer_id": offer.id,
            "dnc_settings": {"exempt_written_consent": True},
        },
        headers=tenant.auth,
    )
    assert created.status_code == 200, created.text
    assert created.json()["schedule"]["dnc_settings"]["exempt_written_consent"] is True
