"""``GET /api/v1/reports``: what a marketer asks (leads, calls, money and submissions by
publisher, sub ID, day ...), answered from counters the database keeps as facts are written."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from tests.reports.conftest import Shop
from tests.support.credentials import key_with_permissions


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_posted_leads_are_counted_by_traffic_source_and_sub_id(shop: Shop) -> None:
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")
    await shop.post("+17193132602", traffic_source_id=shop.google.id, sub_id="s1")
    await shop.post("+17193132603", traffic_source_id=shop.google.id, sub_id="s2")
    await shop.post("+17193132604", traffic_source_id=shop.bing.id)
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")  # again

    body = await shop.report(group_by="traffic_source,sub_id", metrics="leads,duplicates")

    assert body["status"] == 200
    assert body["report"]["rows"] == [
        {"traffic_source": {"id": shop.bing.id, "name": "Bing"}, "sub_id": None, "leads": 1,
         "duplicates": 0},
        {"traffic_source": {"id": shop.google.id, "name": "Google"}, "sub_id": "s1", "leads": 2,
         "duplicates": 1},
        {"traffic_source": {"id": shop.google.id, "name": "Google"}, "sub_id": "s2", "leads": 1,
         "duplicates": 0},
    ]  # fmt: skip
    assert body["report"]["totals"] == {"leads": 4, "duplicates": 1}
    assert body["metadata"]["time_zone"] == "America/New_York"
    assert body["metadata"]["from"] == "2026-01-05T00:00:00-05:00"
    assert body["metadata"]["to"] == "2026-01-06T00:00:00-05:00"


async def test_a_revenue_update_shows_in_the_next_report(shop: Shop) -> None:
    lead = await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")
    call = await shop.call(
        lead["id"], traffic_source_id=shop.google.id, answered_at=_at("2026-01-05 15:00")
    )
    metrics = "calls,connected_calls,converted_calls,revenue,payout,profit,revenue_per_lead"
    before = await shop.report(group_by="sub_id", metrics=metrics)
    assert before["report"]["rows"] == [
        {"sub_id": "s1", "calls": 1, "connected_calls": 1, "converted_calls": 0, "revenue": 0.0,
         "payout": 0.0, "profit": 0.0, "revenue_per_lead": 0.0}
    ]  # fmt: skip

    answer = await shop.client.put(
        f"/api/v1/calls/{call.id}",
        json={"revenue": "12.50", "payout": "4.25", "buyer_converted": True},
        headers=shop.tenant.auth,
    )
    assert answer.status_code == 200, answer.text

    after = await shop.report(group_by="sub_id", metrics=metrics)
    assert after["report"]["rows"] == [
        {"sub_id": "s1", "calls": 1, "connected_calls": 1, "converted_calls": 1, "revenue": 12.5,
         "payout": 4.25, "profit": 8.25, "revenue_per_lead": 12.5}
    ]  # fmt: skip


async def test_days_are_zero_filled_in_the_company_zone(shop: Shop, clock: FrozenClock) -> None:
    clock.current = _at("2026-01-06 03:30")  # 22:30 on the 5th in New York
    await shop.post("+17193132601")
    clock.current = _at("2026-01-03 12:00")
    await shop.post("+17193132602")

    body = await shop.report(**{"from": "2026-01-02", "to": "2026-01-06"}, group_by="day",
                             metrics="leads")  # fmt: skip

    assert body["report"]["rows"] == [
        {"day": "2026-01-02", "leads": 0},
        {"day": "2026-01-03", "leads": 1},
        {"day": "2026-01-04", "leads": 0},
        {"day": "2026-01-05", "leads": 1},
        {"day": "2026-01-06", "leads": 0},
    ]
    assert body["metadata"]["to"] == "2026-01-07T00:00:00-05:00"


async def test_a_change_of_the_company_zone_moves_the_days(shop: Shop, clock: FrozenClock) -> None:
    clock.current = _at("2026-01-06 03:30")
    await shop.post("+17193132601")
    range_ = {"from": "2026-01-05", "to": "2026-01-06", "group_by": "day", "metrics": "leads"}
    async with shop.factory.sessionmaker() as session:
        company = await session.get(type(shop.tenant.company), shop.tenant.company.id)
        assert company is not None
        company.time_zone = "Europe/Berlin"
        await session.commit()

    body = await shop.report(**range_)

    assert body["report"]["rows"] == [
        {"day": "2026-01-05", "leads": 0},
        {"day": "2026-01-06", "leads": 1},
    ]
    assert body["metadata"]["time_zone"] == "Europe/Berlin"


async def test_submissions_are_counted_by_campaign_buyer_and_outcome(shop: Shop) -> None:
    auto = await shop.campaign("auto")
    await shop.submission(auto, "delivered", "https://buyer.example/leads?k=1")
    await shop.submission(auto, "rejected", "https://buyer.example/leads")
    pending = await shop.submission(auto, "processing")
    async with shop.factory.sessionmaker() as session:
        row = await session.get(type(pending), pending.id)
        assert row is not None
        row.status = "disqualified"
        await session.commit()

    by_buyer = await shop.report(group_by="campaign,buyer,state",
                                 metrics="submissions,submissions_delivered")  # fmt: skip
    by_status = await shop.report(group_by="status", metrics="submissions")

    assert by_buyer["report"]["rows"] == [
        {"campaign": {"id": auto.id, "name": "Buyer auto"}, "buyer": {"id": "buyer.example",
         "name": "buyer.example"}, "state": "FL", "submissions": 2, "submissions_delivered": 1},
        {"campaign": {"id": auto.id, "name": "Buyer auto"}, "buyer": {"id": None, "name": None},
         "state": "FL", "submissions": 1, "submissions_delivered": 0},
    ]  # fmt: skip
    assert by_status["report"]["rows"] == [
        {"status": "delivered", "submissions": 1},
        {"status": "disqualified", "submissions": 1},
        {"status": "rejected", "submissions": 1},
    ]


async def test_a_submitted_lead_is_counted_in_the_state_of_its_address(shop: Shop) -> None:
    """``POST /api/v1/leads/submit`` holds the state in ``address.state``."""
    await shop.campaign("auto")
    key = {"X-API-Key": f"{shop.tenant.public_key}.{shop.tenant.private_key}"}
    for phone, state in (("(719) 313-2645", "CO"), ("(305) 555-0142", "FL")):
        lead = {"campaignId": "auto", "firstName": "Jane", "lastName": "Smith",
                "email": f"jane{state}@example.com", "phone": phone,
                "address": {"street": "1 Main St", "city": "Denver", "state": state,
                            "zip": "80202"}}  # fmt: skip
        answer = await shop.client.post("/api/v1/leads/submit", json=lead, headers=key)
        assert answer.status_code == 200, answer.text

    body = await shop.report(group_by="state", metrics="submissions")

    assert body["report"]["rows"] == [
        {"state": "CO", "submissions": 1},
        {"state": "FL", "submissions": 1},
    ]


async def test_a_lead_sold_at_an_auction_brings_its_price_as_revenue(shop: Shop) -> None:
    """A ping/post auction that sells a lead writes the winning bid, the price the buyer
    accepted, to its submission's ``delivery.revenue``; the next report counts it."""
    auction = await shop.campaign("pp-auto")
    sold = await shop.submission(auction, "processing")
    lead = await shop.post("+17193132601")
    await shop.call(lead["id"], revenue_cents=1000, payout_cents=400)
    async with shop.factory.sessionmaker() as session:
        row = await session.get(type(sold), sold.id)
        assert row is not None
        row.status = "delivered"
        row.delivery = {"url": "https://acme.example/post", "bid": 7.25, "revenue": 7.25}
        await session.commit()

    body = await shop.report(group_by="campaign,buyer", metrics="revenue,payout,profit")

    assert body["report"]["rows"] == [
        {"campaign": {"id": auction.id, "name": "Buyer pp-auto"},
         "buyer": {"id": "acme.example", "name": "acme.example"},
         "revenue": 7.25, "payout": 0.0, "profit": 7.25},
        {"campaign": {"id": None, "name": None}, "buyer": {"id": None, "name": None},
         "revenue": 10.0, "payout": 4.0, "profit": 6.0},
    ]  # fmt: skip
    assert body["report"]["totals"] == {"revenue": 17.25, "payout": 4.0, "profit": 13.25}


async def test_a_deleted_lead_leaves_the_report(shop: Shop) -> None:
    kept = await shop.post("+17193132601", sub_id="s1")
    gone = await shop.post("+17193132602", sub_id="s1")
    await shop.call(gone["id"], revenue_cents=500)
    await shop.call(kept["id"], revenue_cents=100)

    answer = await shop.client.delete(f"/api/v1/leads/{gone['id']}", headers=shop.tenant.auth)
    assert answer.status_code == 200, answer.text

    body = await shop.report(group_by="sub_id", metrics="leads,calls,revenue")
    assert body["report"]["rows"] == [
        {"sub_id": "s1", "leads": 1, "calls": 1, "revenue": 1.0},
        {"sub_id": None, "leads": 0, "calls": 1, "revenue": 5.0},
    ]


async def test_filters_order_and_pages(shop: Shop) -> None:
    for n, sub in enumerate(["a", "b", "b", "c", "c", "c"]):
        await shop.post(f"+171931326{n:02d}", traffic_source_id=shop.google.id, sub_id=sub)
    await shop.post("+17193132699", traffic_source_id=shop.bing.id, sub_id="c")

    body = await shop.report(group_by="sub_id", metrics="leads", traffic_source_id=shop.google.id,
                             order="leads", order_dir="desc", per_page=2, page=1)  # fmt: skip

    assert body["report"]["rows"] == [{"sub_id": "c", "leads": 3}, {"sub_id": "b", "leads": 2}]
    assert body["report"]["totals"] == {"leads": 6}
    assert body["metadata"]["total_count"] == 3
    assert body["metadata"]["total_pages"] == 2


async def test_unknown_and_bad_parameters_are_422(shop: Shop) -> None:
    answer = await shop.client.get(
        "/api/v1/reports",
        params={"group_by": "day,colour", "metric": "leads", "from": "yesterday"},
        headers=shop.tenant.auth,
    )

    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert errors["metric"] == ["unknown parameter"]
    assert errors["group_by"][0].startswith("colour is not allowed")
    assert errors["from"] == ["must be a date (YYYY-MM-DD) or an RFC 3339 time"]


async def test_csv_has_the_same_rows(shop: Shop) -> None:
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")

    answer = await shop.client.get(
        "/api/v1/reports",
        params={"group_by": "traffic_source,sub_id", "metrics": "leads,revenue", "format": "csv"},
        headers=shop.tenant.auth,
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines() == [
        "traffic_source_id,traffic_source,sub_id,leads,revenue",
        f"{shop.google.id},Google,s1,1,0.0",
    ]


async def test_csv_writes_a_publishers_formula_as_text(shop: Shop) -> None:
    """A sub ID is whatever a publisher sent; opening the report must not run it."""
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="=1+2")
    await shop.post("+17193132602", traffic_source_id=shop.google.id, sub_id="-3")

    answer = await shop.client.get(
        "/api/v1/reports",
        params={"group_by": "sub_id", "metrics": "leads", "format": "csv"},
        headers=shop.tenant.auth,
    )

    assert list(csv.reader(io.StringIO(answer.text))) == [
        ["sub_id", "leads"],
        ["-3", "1"],
        ["'=1+2", "1"],
    ]


async def test_a_key_without_reports_read_is_refused(
    shop: Shop, app: FastAPI, clock: FrozenClock, client: httpx.AsyncClient
) -> None:
    calls_only = await key_with_permissions(
        state_of(app).sessionmaker, clock, shop.tenant.company.id, {"calls": ["read"]}
    )
    reader = await key_with_permissions(
        state_of(app).sessionmaker, clock, shop.tenant.company.id, {"reports": ["read"]}
    )

    assert (await client.get("/api/v1/reports", headers=calls_only)).status_code == 403
    assert (await client.get("/api/v1/reports", headers=reader)).status_code == 200
    assert (await client.get("/api/v1/reports")).status_code == 401


async def test_pages_follow_the_order_of_the_whole_report(shop: Shop) -> None:
    """A report with many groups is paged by the database; its pages, laid end to end, are
    the rows of the whole report (the CSV) in the same order, whatever it is ordered by."""
    sources = [shop.google.id, shop.bing.id, None]
    for n in range(12):
        params: dict[str, Any] = {"sub_id": f"s{n % 5}"} if n % 4 else {}
        if sources[n % 3] is not None:
            params["traffic_source_id"] = sources[n % 3]
        lead = await shop.post(f"+171931326{n:02d}", **params)
        await shop.call(lead["id"], traffic_source_id=sources[n % 3], revenue_cents=100 * n,
                        payout_cents=70 * (n % 4))  # fmt: skip
    metrics = "leads,calls,revenue,profit"
    for order in (None, "leads", "profit", "revenue", "traffic_source", "sub_id"):
        for direction in ("asc", "desc"):
            query: dict[str, Any] = {"group_by": "traffic_source,sub_id", "metrics": metrics}
            if order is not None:
                query |= {"order": order, "order_dir": direction}
            answer = await shop.client.get(
                "/api/v1/reports", params={**query, "format": "csv"}, headers=shop.tenant.auth
            )
            whole = list(csv.DictReader(io.StringIO(answer.text)))
            paged: list[dict[str, Any]] = []
            for page in (1, 2, 3, 4):
                body = await shop.report(**query, per_page=3, page=page)
                assert body["metadata"]["total_count"] == len(whole)
                paged += body["report"]["rows"]
            assert [
                (str(row["traffic_source"]["id"] or ""), row["sub_id"] or "", str(row["leads"]))
                for row in paged
            ] == [(row["traffic_source_id"], row["sub_id"], row["leads"]) for row in whole], (
                order,
                direction,
            )
            assert body["report"]["totals"]["leads"] == 12
