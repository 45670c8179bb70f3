"""Every company resource list follows the one convention; shown on offers, traffic sources,
schedules and numbers."""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.clock import FrozenClock
from tests.factories import Factory, Tenant


async def _list(
    client: httpx.AsyncClient, tenant: Tenant, resource: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/{resource}", params=params, headers=tenant.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _sources(factory: Factory, tenant: Tenant, count: int) -> list[int]:
    return [(await factory.traffic_source(tenant, name=f"Publisher {n}")).id for n in range(count)]


async def test_pages_split_the_rows_and_metadata_counts_them_all(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ids = await _sources(factory, tenant, 7)
    body = await _list(client, tenant, "traffic_sources", page=3, per_page=3)
    assert [row["id"] for row in body["traffic_sources"]] == ids[6:]
    assert body["metadata"] == {
        "root": "traffic_sources",
        "page": 3,
        "per_page": 3,
        "total_count": 7,
    }


async def test_a_page_holds_25_rows_unless_asked_otherwise(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await _sources(factory, tenant, 27)
    body = await _list(client, tenant, "traffic_sources")
    assert len(body["traffic_sources"]) == 25
    assert body["metadata"]["total_count"] == 27


async def test_per_page_above_500_is_refused_naming_the_parameter(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.get("/api/v1/offers", params={"per_page": 501}, headers=tenant.auth)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["per_page"]
    assert (await _list(client, tenant, "offers", per_page=500))["metadata"]["per_page"] == 500


async def _walk(
    client: httpx.AsyncClient, tenant: Tenant, **params: Any
) -> tuple[list[int], list[dict[str, Any]]]:
    seen: list[int] = []
    pages: list[dict[str, Any]] = []
    cursor = -1
    while True:
        body = await _list(client, tenant, "traffic_sources", cursor=cursor, **params)
        seen.extend(row["id"] for row in body["traffic_sources"])
        pages.append(body["metadata"])
        cursor = body["metadata"]["next_cursor"]
        if cursor == 0:
            return seen, pages
        assert len(pages) < 10, "cursor paging does not end"


async def test_cursor_paging_visits_every_row_once_and_ends_with_cursor_0(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ids = await _sources(factory, tenant, 7)
    seen, pages = await _walk(client, tenant, per_page=3)
    assert seen == ids
    assert [page["next_cursor"] for page in pages] == [ids[2], ids[5], 0]
    assert "total_count" not in pages[0]
    newest_first, _ = await _walk(client, tenant, per_page=3, order_dir="desc")
    assert newest_first == ids[::-1]


async def test_cursor_paging_ending_on_a_full_page_still_ends_with_cursor_0(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ids = await _sources(factory, tenant, 4)
    seen, pages = await _walk(client, tenant, per_page=2)
    assert seen == ids
    assert pages[-1]["next_cursor"] == 0
    assert len(pages) == 2


async def test_rows_added_while_paging_by_cursor_are_not_skipped_or_repeated(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ids = await _sources(factory, tenant, 4)
    first = await _list(client, tenant, "traffic_sources", cursor=-1, per_page=2)
    late = (await factory.traffic_source(tenant, name="Late publisher")).id
    rest = await _list(
        client, tenant, "traffic_sources", cursor=first["metadata"]["next_cursor"], per_page=5
    )
    assert [r["id"] for r in first["traffic_sources"] + rest["traffic_sources"]] == [*ids, late]


async def test_created_at_range_takes_trackdrive_and_iso_times(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    monday = await factory.offer(tenant, name="Monday")  # 2026-01-05 15:00 UTC
    clock.advance(days=1)
    tuesday = await factory.offer(tenant, name="Tuesday")
    clock.advance(days=1)
    await factory.offer(tenant, name="Wednesday")

    # 10:00 -0500 is 15:00 UTC: both ends are inclusive.
    body = await _list(
        client,
        tenant,
        "offers",
        created_at_from="2026-01-05 10:00:00 -0500",
        created_at_to="2026-01-06T15:00:00Z",
    )
    assert [row["id"] for row in body["offers"]] == [monday.id, tuesday.id]
    later = await _list(client, tenant, "offers", created_at_from="2026-01-06 00:00:00 +0000")
    assert [row["name"] for row in later["offers"]] == ["Tuesday", "Wednesday"]


async def test_unreadable_date_is_a_422_naming_the_format(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.get(
        "/api/v1/offers", params={"created_at_to": "soon"}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert "2021-07-23 14:26:43 +0000" in response.json()["errors"]["created_at_to"][0]


async def test_order_and_order_dir_sort_by_a_whitelisted_field(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    for name in ("Bravo", "Alpha", "Charlie"):
        await factory.offer(tenant, name=name)
    ascending = await _list(client, tenant, "offers", order="name")
    assert [row["name"] for row in ascending["offers"]] == ["Alpha", "Bravo", "Charlie"]
    descending = await _list(client, tenant, "offers", order="name", order_dir="desc")
    assert [row["name"] for row in descending["offers"]] == ["Charlie", "Bravo", "Alpha"]


async def test_fulltext_finds_records_by_name_whatever_the_case(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    for name in ("Auto insurance", "Home Insurance", "Solar panels"):
        await factory.offer(tenant, name=name)
    found = await _list(client, tenant, "offers", fulltext="INSURANCE", order="name")
    assert [row["name"] for row in found["offers"]] == ["Auto insurance", "Home Insurance"]
    assert found["metadata"]["total_count"] == 2
    both_words = await _list(client, tenant, "offers", fulltext="home insur")
    assert [row["name"] for row in both_words["offers"]] == ["Home Insurance"]


async def test_fulltext_treats_like_wildcards_as_plain_characters(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.traffic_source(tenant, name="Publisher 100% organic")
    await factory.traffic_source(tenant, name="Publisher 1000")
    found = await _list(client, tenant, "traffic_sources", fulltext="100%")
    assert [row["name"] for row in found["traffic_sources"]] == ["Publisher 100% organic"]


async def test_fulltext_finds_a_number_written_in_any_format(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, "+17193132645")
    await factory.number(tenant, "+18004506787")
    found = await _list(client, tenant, "numbers", fulltext="(719) 313-2645")
    assert [row["number"] for row in found["numbers"]] == ["+17193132645"]


async def test_columns_return_only_the_named_fields(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant, name="Auto")
    body = await _list(client, tenant, "offers", columns="uuid,name,created_at")
    assert body["offers"] == [
        {"uuid": offer.uuid, "name": "Auto", "created_at": "2026-01-05T15:00:00Z"}
    ]


async def test_columns_render_values_as_the_full_record_does(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.schedule(tenant, name="Evenings")
    full = (await _list(client, tenant, "schedules"))["schedules"][0]
    some = (await _list(client, tenant, "schedules", columns="actions,calling_hours,paused"))[
        "schedules"
    ][0]
    assert some == {key: full[key] for key in ("actions", "calling_hours", "paused")}


async def test_named_serializer_is_accepted(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    await factory.offer(tenant)
    assert len((await _list(client, tenant, "offers", serializer="offer"))["offers"]) == 1


async def test_unknown_order_columns_or_serializer_is_a_422_naming_the_allowed_values(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    response = await client.get(
        "/api/v1/traffic_sources",
        params={"order": "revenue", "columns": "uuid,colour", "serializer": "grid"},
        headers=tenant.auth,
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["order"] == [
        "revenue is not allowed; allowed: created_at, id, name, updated_at, user_traffic_source_id"
    ]
    assert errors["serializer"] == ["grid is not allowed; allowed: traffic_source"]
    assert errors["columns"][0].startswith(
        "colour is not allowed; allowed: archived_at, created_at, id,"
    )


async def test_lists_never_show_another_companys_rows(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    await factory.offer(mine, name="Mine insurance")
    await factory.offer(theirs, name="Their insurance")
    for params in ({}, {"fulltext": "insurance"}, {"cursor": -1}):
        body = await _list(client, mine, "offers", **params)
        assert [row["name"] for row in body["offers"]] == ["Mine insurance"]
