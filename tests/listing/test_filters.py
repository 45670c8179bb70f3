"""Every list endpoint applies its documented filters and answers an unknown query parameter
with a 422 naming it, instead of silently listing every row."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from leadflow.models import Lead
from tests.factories import Factory, Tenant
from tests.submissions.api.conftest import api_key

CALLER = "+18004506787"
LISTS = (
    "/api/v1/leads",
    "/api/v1/calls",
    "/api/v1/schedules",
    "/api/v1/offers",
    "/api/v1/traffic_sources",
    "/api/v1/numbers",
    "/api/v1/subscriptions",
    "/api/v1/api_keys",
    "/api/v1/scheduled_callbacks",
    "/api/v1/contacts/suppression_list",
)


async def _post_lead(client: httpx.AsyncClient, token: str, **params: Any) -> int:
    answer = await client.post(
        "/api/v1/leads", params={"lead_token": token, "caller_id": CALLER, **params}
    )
    assert answer.status_code == 200, answer.text
    lead_id: int = answer.json()["lead"]["id"]
    return lead_id


async def _ids(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[int]:
    answer = await client.get("/api/v1/leads", params=params, headers=tenant.auth)
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()["leads"]]


async def test_leads_are_filtered_by_traffic_source_status_and_schedule(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    first, second = await factory.schedule(tenant), await factory.schedule(tenant)
    source = await factory.traffic_source(tenant, name="A")
    sourced = await _post_lead(client, first.leads_api_key, traffic_source_id=source.id)
    other = await _post_lead(client, second.leads_api_key, caller_id="+18004506788")
    async with factory.sessionmaker() as session:
        await session.execute(update(Lead).where(Lead.id == other).values(status="waiting"))
        await session.commit()

    assert await _ids(client, tenant, traffic_source_id=source.id) == [sourced]
    assert await _ids(client, tenant, status="waiting") == [other]
    assert await _ids(client, tenant, schedule_id=first.id) == [sourced]
    assert await _ids(client, tenant) == [sourced, other]


async def test_a_bad_filter_value_is_named(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    answer = await client.get(
        "/api/v1/leads", params={"traffic_source_id": "pub-x"}, headers=tenant.auth
    )
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["traffic_source_id"]


async def test_a_status_no_lead_can_have_is_named_with_the_statuses_there_are(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    for form in ("json", "csv"):
        answer = await client.get(
            "/api/v1/leads", params={"status": "nope", "format": form}, headers=tenant.auth
        )
        assert answer.status_code == 422, answer.text
        [message] = answer.json()["errors"]["status"]
        assert message.startswith("must be one of: scheduled, waiting, running")
        assert "opt_out" in message
    answer = await client.get(
        "/api/v1/scheduled_callbacks", params={"status": "done"}, headers=tenant.auth
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == {"status": ["must be one of: scheduled, placed, canceled"]}


@pytest.mark.parametrize("path", LISTS)
async def test_an_unknown_parameter_is_refused_by_name(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    tenant = await factory.tenant()

    answer = await client.get(path, params={"traffic_source": "2"}, headers=tenant.auth)

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == {"traffic_source": ["unknown parameter"]}


# Endpoints that are not listings but read query parameters of their own.
OTHER_GETS = ("/api/v1/tokens", "/api/v1/calls/stats")


@pytest.mark.parametrize("path", OTHER_GETS)
async def test_other_gets_refuse_an_unknown_parameter_and_keep_their_own(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    tenant = await factory.tenant()

    misspelt = await client.get(path, params={"group": "sub_id"}, headers=tenant.auth)
    accepted = await client.get(path, headers=tenant.auth)

    assert misspelt.status_code == 422, misspelt.text
    assert misspelt.json()["errors"] == {"group": ["unknown parameter"]}
    assert accepted.status_code == 200, accepted.text


async def test_call_stats_still_read_their_documented_parameters(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    params = {"group_by": "sub_id", "stat": "count", "created_at_from": "2026-01-01"}

    answer = await client.get("/api/v1/calls/stats", params=params, headers=tenant.auth)

    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("path", ["/api/v1/campaigns", "/api/v1/field_library"])
async def test_leadsail_reads_refuse_an_unknown_parameter(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    tenant = await factory.tenant()

    misspelt = await client.get(path, params={"campaignId": "x"}, headers=api_key(tenant))
    accepted = await client.get(path, headers=api_key(tenant))

    assert misspelt.status_code == 422, misspelt.text
    assert misspelt.json()["success"] is False
    assert "campaignId" in misspelt.text
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize("path", LISTS)
async def test_the_listing_parameters_stay_accepted(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    tenant = await factory.tenant()
    params = {"page": "1", "per_page": "5", "order": "id", "order_dir": "desc"}

    answer = await client.get(path, params=params, headers=tenant.auth)

    assert answer.status_code == 200, answer.text


async def test_the_traffic_source_list_takes_archived(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    answer = await client.get(
        "/api/v1/traffic_sources", params={"archived": "false"}, headers=tenant.auth
    )
    assert answer.status_code == 200, answer.text


async def test_leadsail_lead_list_refuses_an_unknown_parameter(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()

    answer = await client.get("/api/v1/leads", params={"campaign": "auto"}, headers=api_key(tenant))

    assert answer.status_code in (400, 422), answer.text
    body = answer.json()
    assert body["success"] is False
    assert "campaign" in answer.text
