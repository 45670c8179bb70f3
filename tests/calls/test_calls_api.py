"""``/api/v1/calls``: list (paging, cursor, filters, columns, search), show, events, update."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from leadflow.clock import FrozenClock
from leadflow.models import Call, CallEvent
from tests.calls.seed import Calls
from tests.factories import Factory


@pytest.fixture
def calls(factory: Factory, client: Any) -> Calls:
    return Calls(factory, client)


def _ids(body: dict[str, Any]) -> list[int]:
    return [call["id"] for call in body["calls"]]


async def test_list_pages_with_total_and_newest_first_when_asked(
    calls: Calls, factory: Factory
) -> None:
    tenant = await factory.tenant()
    made = [await calls.call(tenant) for _ in range(5)]
    first = (await calls.get(tenant, "", page=1, per_page=2)).json()
    assert first["metadata"] == {"root": "calls", "page": 1, "per_page": 2, "total_count": 5}
    assert _ids(first) == [made[0].id, made[1].id]
    third = (await calls.get(tenant, "", page=3, per_page=2)).json()
    assert _ids(third) == [made[4].id]
    newest = (await calls.get(tenant, "", order="id", order_dir="desc", per_page=1)).json()
    assert _ids(newest) == [made[4].id]


async def test_cursor_paging_walks_every_call_once_and_ends_with_zero(
    calls: Calls, factory: Factory
) -> None:
    tenant = await factory.tenant()
    made = [(await calls.call(tenant)).id for _ in range(5)]
    seen: list[int] = []
    cursor = -1
    while cursor != 0:
        body = (await calls.get(tenant, "", cursor=cursor, per_page=2)).json()
        seen += _ids(body)
        cursor = body["metadata"]["next_cursor"]
    assert seen == made


async def test_in_progress_lists_only_calls_not_yet_ended(calls: Calls, factory: Factory) -> None:
    tenant = await factory.tenant()
    ringing = await calls.call(tenant, status="ringing")
    live = await calls.call(tenant, status="in-progress")
    ended = await calls.call(tenant, status="completed")
    busy = await calls.call(tenant, status="busy")
    assert _ids((await calls.get(tenant, "", in_progress="true")).json()) == [ringing.id, live.id]
    assert _ids((await calls.get(tenant, "", in_progress="false")).json()) == [ended.id, busy.id]
    answer = await calls.get(tenant, "", in_progress="maybe")
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["in_progress"]


async def test_columns_limit_the_fields_and_money_is_in_dollars(
    calls: Calls, factory: Factory
) -> None:
    tenant = await factory.tenant()
    call = await calls.call(tenant, revenue_cents=1250, payout_cents=400)
    body = (await calls.get(tenant, "", columns="uuid,revenue,profit,in_progress")).json()
    assert body["calls"] == [
        {"uuid": call.uuid, "revenue": 12.5, "profit": 8.5, "in_progress": False}
    ]
    bad = await calls.get(tenant, "", columns="uuid,secret")
    assert bad.status_code == 422
    assert "secret is not allowed" in bad.json()["errors"]["columns"][0]


async def test_filters_by_time_range_status_and_searched_number(
    calls: Calls, factory: Factory, clock: FrozenClock
) -> None:
    tenant = await factory.tenant()
    start = clock.now()
    old = await calls.call(tenant, at=start - timedelta(days=2), to_number="+17193132645")
    new = await calls.call(tenant, at=start, to_number="+13035550188", status="busy")
    since = (start - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S +0000")
    assert _ids((await calls.get(tenant, "", created_at_from=since)).json()) == [new.id]
    assert _ids((await calls.get(tenant, "", status="busy")).json()) == [new.id]
    found = (await calls.get(tenant, "", fulltext="(719) 313-2645")).json()
    assert _ids(found) == [old.id]
    bad = await calls.get(tenant, "", created_at_to="yesterday")
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["created_at_to"])


async def test_show_by_id_or_uuid_and_events_oldest_first(calls: Calls, factory: Factory) -> None:
    tenant = await factory.tenant()
    call = await calls.call(tenant, status="ringing", tokens={"first_name": "Ada"})
    await calls.event(call, "queued")
    await calls.event(call, "status", status="ringing")
    for ref in (call.id, call.uuid):
        shown = (await calls.get(tenant, f"/{ref}")).json()
        assert shown["metadata"] == {"root": "call"}
        assert (shown["call"]["id"], shown["call"]["in_progress"]) == (call.id, True)
        assert shown["call"]["data"] == {"first_name": "Ada"}
    events = (await calls.get(tenant, f"/{call.uuid}/events")).json()
    assert [(e["kind"], e["data"]) for e in events["call_events"]] == [
        ("queued", {}),
        ("status", {"status": "ringing"}),
    ]


async def test_another_companys_call_is_not_found(calls: Calls, factory: Factory) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    call = await calls.call(theirs)
    for path in (f"/{call.id}", f"/{call.uuid}", f"/{call.id}/events", "/999999"):
        answer = await calls.get(mine, path)
        assert answer.status_code == 404, path
    assert (await calls.put(mine, call.id, {"revenue": 1})).status_code == 404
    assert (await calls.get(mine, "")).json()["calls"] == []
    stats = (await calls.get(mine, "/stats")).json()
    assert stats["stats"] == []
    assert (await calls.get(theirs, f"/{call.id}")).status_code == 200


async def test_listing_needs_credentials(calls: Calls, factory: Factory) -> None:
    assert (await calls.client.get("/api/v1/calls")).status_code == 401


async def test_update_keeps_money_exact_to_the_cent_and_merges_post_call_tokens(
    calls: Calls, factory: Factory
) -> None:
    tenant = await factory.tenant()
    call = await calls.call(tenant, post_call_tokens={"agent": "Bo"})
    answer = await calls.put(
        tenant,
        call.uuid,
        {"revenue": "19.99", "payout": 0.1, "post_call_tokens": {"sale": "yes"}},
    )
    assert answer.status_code == 200, answer.text
    shown = answer.json()["call"]
    assert (shown["revenue"], shown["payout"], shown["profit"]) == (19.99, 0.1, 19.89)
    assert shown["post_call_tokens"] == {"agent": "Bo", "sale": "yes"}
    async with calls.factory.sessionmaker() as session:
        stored = await session.get(Call, call.id)
        assert stored is not None
        assert (stored.revenue_cents, stored.payout_cents) == (1999, 10)
        events = (await session.scalars(select(CallEvent))).all()
    assert [e.kind for e in events] == ["updated"]
    half = (await calls.put(tenant, call.id, {"revenue": 0.125})).json()["call"]
    assert half["revenue"] == 0.13


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"revenue": -1}, "revenue"),
        ({"revenue": "lots"}, "revenue"),
        ({"payout": "NaN"}, "payout"),
        ({"payout": 1e12}, "payout"),
        ({"revenue": None}, "revenue"),
        ({"buyer_converted": "perhaps"}, "buyer_converted"),
        ({"post_call_tokens": [1, 2]}, "post_call_tokens"),
        ({"post_call_tokens": {"note": "a\x00b"}}, "post_call_tokens"),
    ],
)
async def test_update_refuses_a_bad_value_naming_the_field(
    calls: Calls, factory: Factory, body: dict[str, Any], field: str
) -> None:
    tenant = await factory.tenant()
    call = await calls.call(tenant, revenue_cents=500)
    answer = await calls.put(tenant, call.id, body)
    assert answer.status_code == 422, answer.text
    assert list(answer.json()["errors"]) == [field]
    assert (await calls.get(tenant, f"/{call.id}")).json()["call"]["revenue"] == 5.0


async def test_update_with_two_bad_fields_names_both(calls: Calls, factory: Factory) -> None:
    tenant = await factory.tenant()
    call = await calls.call(tenant)
    answer = await calls.put(tenant, call.id, {"revenue": -3, "payout": "x"})
    assert answer.status_code == 422
    assert sorted(answer.json()["errors"]) == ["payout", "revenue"]


async def test_sorts_by_revenue_and_filters_by_attribution(calls: Calls, factory: Factory) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant)
    small = await calls.call(tenant, revenue_cents=100, offer_id=offer.id, direction="inbound")
    large = await calls.call(tenant, revenue_cents=900, offer_id=offer.id)
    other = await calls.call(tenant, revenue_cents=500)
    by_revenue = await calls.get(tenant, "", order="revenue", order_dir="desc")
    assert _ids(by_revenue.json()) == [large.id, other.id, small.id]
    assert _ids((await calls.get(tenant, "", offer_id=offer.id)).json()) == [small.id, large.id]
    inbound = await calls.get(tenant, "", direction="inbound", status="completed\x00")
    assert _ids(inbound.json()) == [small.id]
