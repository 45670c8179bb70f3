from __future__ import annotations

import httpx
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.models import Lead, LeadEvent
from tests.factories import Factory


async def test_query_string_post_enrols_lead_with_tokens(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    response = await client.post(
        "/api/v1/leads",
        params={
            "lead_token": schedule.leads_api_key,
            "caller_id": "+18004506787",
            "email": "John@Example.com",
            "interest": "kittens",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 200
    assert body["metadata"]["root"] == "lead"
    lead = body["lead"]
    assert lead["caller_id"] == "+18004506787"
    assert lead["email"] == "john@example.com"
    assert lead["schedule_id"] == schedule.id
    assert lead["status"] == "scheduled"
    assert lead["data"] == {"interest": "kittens"}
    assert lead["remote_ip"] == "203.0.113.7"
    assert body["dedupe_action"] == "created"


async def test_json_post_takes_tokens_from_data_hash(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    response = await client.post(
        "/api/v1/leads",
        json={
            "lead_token": schedule.leads_api_key,
            "caller_id": "+18004506787",
            "expires_in": 60,
            "source": "top",
            "data": {"interest": "kittens", "email": "john@example.com", "source": "data"},
        },
    )
    assert response.status_code == 200, response.text
    lead = response.json()["lead"]
    assert lead["email"] == "john@example.com"
    assert lead["data"] == {"interest": "kittens", "source": "data"}
    assert lead["expires_at"] is not None


async def test_unknown_lead_token_returns_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/leads", params={"lead_token": "nope", "caller_id": "+18004506787"}
    )
    assert response.status_code == 401
    assert response.json()["errors"] == {"lead_token": ["is not a valid lead token"]}


async def test_missing_lead_token_returns_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/leads", params={"caller_id": "+18004506787"})
    assert response.status_code == 401


async def test_every_bad_field_is_named_in_422(
    client: httpx.AsyncClient, factory: Factory, app: object
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    response = await client.post(
        "/api/v1/leads",
        params={
            "lead_token": schedule.leads_api_key,
            "caller_id": "12",
            "email": "not-mail",
            "blocked": "maybe",
            "hours_to_expire": "soon",
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"caller_id", "email", "blocked", "hours_to_expire"}
    async with state_of(app).sessionmaker() as session:  # type: ignore[attr-defined]
        assert await session.scalar(select(func.count(Lead.id))) == 0


async def test_every_change_writes_a_lead_event(
    client: httpx.AsyncClient, factory: Factory, app: object
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    response = await client.post(
        "/api/v1/leads", params={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"}
    )
    lead_id = response.json()["lead"]["id"]
    async with state_of(app).sessionmaker() as session:  # type: ignore[attr-defined]
        kinds = (
            await session.scalars(select(LeadEvent.kind).where(LeadEvent.lead_id == lead_id))
        ).all()
    assert kinds == ["created"]
