"""``format=csv`` (or ``Accept: text/csv``) on a listing: every matching row, streamed as CSV,
with the listing's filters and ``columns`` and one column per token."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from leadflow.kit.csv_writer import cell
from leadflow.kit.listing import export
from tests.factories import Factory, Tenant


async def _post(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/leads", json={"lead_token": token, **fields})
    assert response.status_code == 200, response.text
    lead: dict[str, Any] = response.json()["lead"]
    return lead


async def _csv(
    client: httpx.AsyncClient, tenant: Tenant, path: str = "/api/v1/leads", **params: Any
) -> list[dict[str, str]]:
    response = await client.get(path, params={"format": "csv", **params}, headers=tenant.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_lead_export_has_every_field_and_one_column_per_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    first = await _post(client, token, caller_id="+12025550101", first_name="Ann", zip="10001")
    await _post(client, token, caller_id="+12025550102", state="NY")
    rows = await _csv(client, tenant)
    assert [row["caller_id"] for row in rows] == ["+12025550101", "+12025550102"]
    assert rows[0]["uuid"] == first["uuid"]
    assert (rows[0]["first_name"], rows[0]["zip"], rows[0]["state"]) == ("Ann", "10001", "")
    assert rows[1]["state"] == "NY"
    assert "data" not in rows[0]


async def test_export_keeps_the_listing_filters_and_columns(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    one = await factory.schedule(tenant)
    other = await factory.schedule(tenant)
    await _post(client, one.leads_api_key, caller_id="+12025550111", a="1")
    await _post(client, other.leads_api_key, caller_id="+12025550112", b="2")
    response = await client.get(
        "/api/v1/leads",
        params={"format": "csv", "schedule_id": other.id, "columns": "caller_id,status,data"},
        headers=tenant.auth,
    )
    assert response.text.splitlines() == ["caller_id,status,b", "+12025550112,scheduled,2"]


async def test_accept_text_csv_asks_for_csv_too(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    await _post(client, token, caller_id="+12025550121")
    response = await client.get(
        "/api/v1/leads",
        params={"columns": "caller_id"},
        headers={**tenant.auth, "Accept": "text/csv"},
    )
    assert response.text.splitlines() == ["caller_id", "+12025550121"]


async def test_export_walks_past_one_batch_and_keeps_order_dir(
    client: httpx.AsyncClient, factory: Factory, monkeypatch: Any
) -> None:
    monkeypatch.setattr(export, "BATCH", 3)
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    numbers = [f"+1202555{n:04d}" for n in range(200, 208)]
    for number in numbers:
        await _post(client, token, caller_id=number)
    rows = await _csv(client, tenant, columns="caller_id", order_dir="desc")
    assert [row["caller_id"] for row in rows] == numbers[::-1]


async def test_another_companys_leads_are_never_exported(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    await _post(client, (await factory.schedule(theirs)).leads_api_key, caller_id="+12025550131")
    assert await _csv(client, mine) == []


async def test_bad_parameters_are_a_422_before_any_csv(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    for params in ({"columns": "nope"}, {"order": "created_at"}, {"statuss": "x"}):
        response = await client.get(
            "/api/v1/leads", params={"format": "csv", **params}, headers=tenant.auth
        )
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/json")


async def test_call_listing_exports_as_csv(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    rows = await _csv(client, tenant, "/api/v1/calls")
    assert rows == []
    response = await client.get(
        "/api/v1/calls", params={"format": "csv", "columns": "id,to"}, headers=tenant.auth
    )
    assert response.text.splitlines() == ["id,to"]


def test_cells_read_as_in_the_json_and_formulas_are_defused() -> None:
    assert [cell(None), cell(True), cell(3), cell({"a": 1})] == ["", "true", "3", '{"a":1}']
    assert cell("+18005550100") == "+18005550100"
    assert cell("-3.5") == "-3.5"
    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell("+cmd|x") == "'+cmd|x"
    assert cell("@SUM(A1)") == "'@SUM(A1)"
