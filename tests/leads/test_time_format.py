"""One time format in every TrackDrive-dialect answer: ISO 8601 in UTC ending in ``Z``."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.factories import Tenant
from tests.leads.conftest import CALLER, Publisher

UTC_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
TIME_KEYS = re.compile(r".*_at$")


def _times(value: Any, path: str = "") -> dict[str, str]:
    """Every non-null ``*_at`` value in a body, by its path."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if TIME_KEYS.fullmatch(str(key)) and isinstance(item, str):
                found[where] = item
            else:
                found.update(_times(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_times(item, f"{path}[{index}]"))
    return found


async def test_a_lead_has_the_same_created_at_in_the_post_and_the_get_answer(
    client: httpx.AsyncClient, publisher: Publisher, tenant: Tenant
) -> None:
    posted = await publisher.lead(caller_id=CALLER, first_name="Ann")

    shown = await client.get(f"/api/v1/leads/{posted['id']}", headers=tenant.auth)

    assert shown.status_code == 200, shown.text
    lead = shown.json()["lead"]
    assert posted["created_at"] == lead["created_at"]
    assert posted["updated_at"] == lead["updated_at"]


async def test_every_time_in_lead_answers_is_utc_with_z(
    client: httpx.AsyncClient, publisher: Publisher, tenant: Tenant
) -> None:
    posted = await publisher.lead(caller_id=CALLER, first_name="Ann")
    bodies = {
        "post": {"lead": posted},
        "show": (await client.get(f"/api/v1/leads/{posted['id']}", headers=tenant.auth)).json(),
        "list": (await client.get("/api/v1/leads", headers=tenant.auth)).json(),
        "offers": (await client.get("/api/v1/offers", headers=tenant.auth)).json(),
        "schedules": (await client.get("/api/v1/schedules", headers=tenant.auth)).json(),
    }

    times = {
        f"{name}{path}": text
        for name, body in bodies.items()
        for path, text in _times(body).items()
    }

    assert times, "the answers carry times"
    assert {path: text for path, text in times.items() if not UTC_Z.fullmatch(text)} == {}
