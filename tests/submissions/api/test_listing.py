"""``GET /api/v1/leads`` with ``X-API-Key``: newest first, cursor = the last leadId."""

from __future__ import annotations

from typing import Any

from leadflow.clock import FrozenClock
from tests.submissions.api.conftest import Rows, Seller


async def _ids(seller: Seller, **params: Any) -> list[str]:
    answer = await seller.get(**params)
    assert answer.status_code == 200, answer.text
    return [lead["id"] for lead in answer.json()["data"]["leads"]]


async def test_pages_follow_the_cursor_until_has_more_is_false(seller: Seller) -> None:
    made = [(await seller.submit(phone=f"+1719313{n:04d}"))["leadId"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await seller.get(**params)).json()["data"]
        seen += [lead["id"] for lead in page["leads"]]
        if not page["hasMore"]:
            assert page["nextCursor"] is None
            break
        cursor = page["nextCursor"]
        assert cursor == page["leads"][-1]["id"]
    assert seen == list(reversed(made))


async def test_leads_are_filtered_by_campaign_status_search_and_dates(
    seller: Seller, rows: Rows, clock: FrozenClock
) -> None:
    other = await seller.campaign("other")
    a = (await seller.submit(firstName="alice"))["leadId"]
    clock.advance(days=2)
    b = (await seller.submit(campaignId="other", email="bob@example.com"))["leadId"]
    await rows.set_status(b, "delivered")
    assert await _ids(seller, campaignIds=other["id"]) == [b]
    assert await _ids(seller, campaignIds="auto,other") == [b, a]
    assert await _ids(seller, status="delivered") == [b]
    assert await _ids(seller, status="new,delivered") == [b, a]
    assert await _ids(seller, search="ALICE") == [a]
    assert await _ids(seller, search="bob@") == [b]
    assert await _ids(seller, startDate="2026-01-06") == [b]
    assert await _ids(seller, endDate="2026-01-05") == [a]
    assert await _ids(seller, startDate="2026-01-07T14:00:00Z", endDate="2026-01-08") == [b]


async def test_bad_filters_are_each_named(seller: Seller) -> None:
    answer = await seller.get(
        limit=101, status="lost", campaignIds="nope", startDate="yesterday", cursor="x"
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "limit"
    answer = await seller.get(status="lost", campaignIds="nope", startDate="yesterday", cursor="x")
    fields = {d["field"] for d in answer.json()["error"]["details"]}
    assert fields == {"status", "campaignIds", "startDate", "cursor"}
