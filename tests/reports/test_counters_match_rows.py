"""The counters equal the rows: after any sequence of lead posts, lead updates and deletions,
calls and revenue updates, submissions and their outcomes, and changes of the company's time
zone, ``GET /api/v1/reports`` answers what a GROUP BY over the raw rows answers, for every
grouping. Duplicates and opt-outs are events the rows do not keep, so they are left out."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadflow.clock import FrozenClock
from leadflow.models import Call, Campaign, Company, Lead, Submission
from leadflow.schedules.state_hours import state_code
from tests.factories import Factory
from tests.reports.conftest import Shop
from tests.reports.roll_ups import assert_roll_ups_sum_the_counters

ZONES = ["America/New_York", "UTC", "Asia/Tokyo", "America/Los_Angeles"]
STATES = [None, "TX", "Florida", "ny"]
SUBS = [None, "a", "b"]
URLS = [None, "https://one.example/in", "https://two.example/x?y=1"]
PRICES = [None, 7.25, 12.5, 0.99, 3]
"""A ping/post sale's price (``delivery.revenue``, dollars), or none."""
STATUSES = [
    "new",
    "processing",
    "delivered",
    "rejected",
    "disqualified",
    "duplicate",
    "error",
    "failed",
]
GROUPINGS = [
    "day",
    "hour",
    "week,month",
    "traffic_source,sub_id",
    "sub_id",
    "schedule,offer,state",
    "campaign,buyer,status",
    "day,traffic_source",
]
METRICS = (
    "leads",
    "calls",
    "connected_calls",
    "converted_calls",
    "revenue",
    "payout",
    "submissions",
    "submissions_delivered",
    "submissions_rejected",
    "submissions_disqualified",
    "submissions_duplicate",
    "submissions_error",
)

later = st.integers(min_value=0, max_value=30)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            later,
            st.integers(0, 4),
            st.integers(0, 2),
            st.sampled_from(SUBS),
            st.sampled_from(STATES),
        ),
        st.tuples(
            st.just("update_lead"),
            later,
            st.integers(0, 9),
            st.integers(1, 2),
            st.sampled_from(STATES),
        ),
        st.tuples(st.just("delete_lead"), later, st.integers(0, 9)),
        st.tuples(
            st.just("call"),
            later,
            st.integers(-1, 9),
            st.integers(0, 5000),
            st.integers(0, 3000),
            st.booleans(),
        ),
        st.tuples(
            st.just("revenue"),
            later,
            st.integers(0, 9),
            st.integers(0, 9000),
            st.integers(0, 9000),
            st.booleans(),
        ),
        st.tuples(
            st.just("submit"),
            later,
            st.sampled_from(STATUSES),
            st.sampled_from(URLS),
            st.sampled_from(STATES),
            st.booleans(),
            st.sampled_from(PRICES),
        ),
        st.tuples(
            st.just("outcome"),
            later,
            st.integers(0, 9),
            st.sampled_from(STATUSES),
            st.sampled_from(URLS),
            st.sampled_from(PRICES),
        ),
        st.tuples(st.just("zone"), later, st.sampled_from(ZONES)),
    ),
    max_size=14,
)


@dataclass
class Made:
    leads: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    submissions: list[int] = field(default_factory=list)


async def _run(shop: Shop, clock: FrozenClock, op: tuple[Any, ...], made: Made) -> None:
    kind, hours = op[0], op[1]
    clock.advance(hours=hours, minutes=7)
    sources = [None, shop.google.id, shop.bing.id]
    client, auth = shop.client, shop.tenant.auth
    if kind == "post":
        _, _, caller, source, sub, state = op
        params: dict[str, Any] = {}
        if sources[source] is not None:
            params["traffic_source_id"] = sources[source]
        if sub is not None:
            params["sub_id"] = sub
        if state is not None:
            params["state"] = state
        lead = await shop.post(f"+1719313260{caller}", **params)
        made.leads.append(lead["id"])
    elif kind == "update_lead" and made.leads:
        _, _, pick, source, state = op
        body: dict[str, Any] = {"traffic_source_id": sources[source]}
        if state is not None:
            body["data"] = {"state": state}
        lead_id = made.leads[pick % len(made.leads)]
        await client.put(f"/api/v1/leads/{lead_id}", json=body, headers=auth)
    elif kind == "delete_lead" and made.leads:
        lead_id = made.leads[op[2] % len(made.leads)]
        await client.delete(f"/api/v1/leads/{lead_id}", headers=auth)
    elif kind == "call":
        _, _, pick, revenue, payout, answered = op
        lead_id = made.leads[pick % len(made.leads)] if made.leads and pick >= 0 else None
        async with shop.factory.sessionmaker() as session:
            lead = await session.get(Lead, lead_id) if lead_id is not None else None
        call = await shop.call(
            lead.id if lead is not None else None,
            traffic_source_id=lead.traffic_source_id if lead is not None else None,
            revenue_cents=revenue,
            payout_cents=payout,
            answered_at=clock.now() if answered else None,
        )
        made.calls.append(call.id)
    elif kind == "revenue" and made.calls:
        _, _, pick, revenue, payout, converted = op
        call_id = made.calls[pick % len(made.calls)]
        body = {"revenue": revenue / 100, "payout": payout / 100, "offer_converted": converted}
        answer = await client.put(f"/api/v1/calls/{call_id}", json=body, headers=auth)
        assert answer.status_code == 200, answer.text
    elif kind == "submit":
        campaign = await shop.campaign(f"c{len(made.submissions)}")
        _, _, status, url, state, in_address, price = op
        # Submitted through the LeadSail API, the state is the address's; other data has its own.
        data = {"address": {"state": state}} if in_address else {"state": state}
        submission = await shop.submission(campaign, status, url or "", data=data, revenue=price)
        made.submissions.append(submission.id)
    elif kind == "outcome" and made.submissions:
        _, _, pick, status, url, price = op
        async with shop.factory.sessionmaker() as session:
            row = await session.get(Submission, made.submissions[pick % len(made.submissions)])
            assert row is not None
            delivery: dict[str, Any] = {"url": url} if url else {}
            if price is not None:
                delivery["revenue"] = price  # sold at an auction
            row.status, row.delivery = status, delivery
            await session.commit()
    elif kind == "zone":
        async with shop.factory.sessionmaker() as session:
            company = await session.get(Company, shop.tenant.company.id)
            assert company is not None
            company.time_zone = op[2]
            await session.commit()


def _bucket(instant: datetime, dimension: str, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return {
        "hour": local.strftime("%Y-%m-%d %H:00"),
        "day": local.date().isoformat(),
        "week": (local.date() - timedelta(days=local.weekday())).isoformat(),
        "month": local.strftime("%Y-%m"),
    }[dimension]


def _state(tokens: dict[str, Any] | None) -> str | None:
    raw = (tokens or {}).get("state_province") or (tokens or {}).get("state")
    return (state_code(str(raw)) or str(raw).strip().upper()) if raw else None


def _status(status: str) -> str:
    if status in ("error", "failed"):
        return "error"
    return status if status in ("delivered", "rejected", "disqualified", "duplicate") else "pending"


async def _expected(shop: Shop, grouping: str, zone: ZoneInfo) -> dict[str, dict[str, Any]]:
    """The report worked out from the rows themselves."""
    names = {shop.google.id: "Google", shop.bing.id: "Bing"}
    company = shop.tenant.company.id
    facts: list[tuple[dict[str, Any], dict[str, int]]] = []
    async with shop.factory.sessionmaker() as session:
        for lead in (await session.scalars(select(Lead).where(Lead.company_id == company))).all():
            dims = {
                "at": lead.created_at,
                "traffic_source": lead.traffic_source_id,
                "sub_id": lead.sub_id,
                "schedule": lead.schedule_id,
                "offer": lead.offer_id,
                "state": _state(lead.tokens),
            }
            facts.append((dims, {"leads": 1}))
        calls = select(Call, Lead.sub_id, Lead.tokens).outerjoin(Lead, Lead.id == Call.lead_id)
        for call, sub_id, tokens in (
            await session.execute(calls.where(Call.company_id == company))
        ).all():
            dims = {
                "at": call.created_at,
                "traffic_source": call.traffic_source_id,
                "sub_id": sub_id,
                "schedule": call.schedule_id,
                "offer": call.offer_id,
                "state": _state(tokens),
            }
            sums = {
                "calls": 1,
                "connected_calls": int(call.answered_at is not None),
                "converted_calls": int(call.buyer_converted or call.offer_converted),
                "revenue": call.revenue_cents,
                "payout": call.payout_cents,
            }
            facts.append((dims, sums))
        submissions = select(Submission).where(Submission.company_id == company)
        for row in (await session.scalars(submissions)).all():
            url = (row.delivery or {}).get("url")
            status = _status(row.status)
            dims = {
                "at": row.created_at,
                "campaign": row.campaign_id,
                "state": _state((row.data or {}).get("address") or row.data),
                "buyer": urlsplit(url).hostname if url else None,
                "status": status,
            }
            sums = {"submissions": 1}
            if status != "pending":
                sums[f"submissions_{status}"] = 1
            facts.append((dims, sums))
            price = (row.delivery or {}).get("revenue")
            if price is not None:
                # A sale's price is money, which no submission status splits.
                facts.append((dims, {"revenue": round(float(price) * 100)}))
    campaigns = {}
    async with shop.factory.sessionmaker() as session:
        for campaign in (
            await session.scalars(select(Campaign).where(Campaign.company_id == company))
        ).all():
            campaigns[campaign.id] = campaign.name
    named = {
        "traffic_source": names,
        "schedule": {shop.schedule.id: shop.schedule.name},
        "offer": {shop.offer.id: shop.offer.name},
        "campaign": campaigns,
    }
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    for dims, sums in facts:
        key: dict[str, Any] = {}
        for dimension in grouping.split(","):
            if dimension in ("hour", "day", "week", "month"):
                key[dimension] = _bucket(dims["at"], dimension, zone)
            elif dimension in named:
                found = dims.get(dimension)
                key[dimension] = {
                    "id": found,
                    "name": named[dimension].get(found) if found else None,
                }
            elif dimension == "buyer":
                key[dimension] = {"id": dims.get("buyer"), "name": dims.get("buyer")}
            else:
                key[dimension] = dims.get(dimension) or None
        if "status" in key and "submissions" not in sums:
            key["status"] = None
        for name, value in sums.items():
            groups[json.dumps(key, sort_keys=True)][name] += value
    return {k: _money(v) for k, v in groups.items() if any(v.values())}


def _money(sums: dict[str, Any]) -> dict[str, Any]:
    return {
        **sums,
        "revenue": round(sums["revenue"] / 100, 2),
        "payout": round(sums["payout"] / 100, 2),
    }


def _answered(rows: list[dict[str, Any]], grouping: str) -> dict[str, dict[str, Any]]:
    found = {}
    for row in rows:
        key = {d: row[d] for d in grouping.split(",")}
        values = {m: row[m] for m in METRICS}
        if any(values.values()):
            found[json.dumps(key, sort_keys=True)] = values
    return found


@given(ops=operations)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_reports_equal_a_group_by_over_the_rows(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock, ops: list[tuple[Any, ...]]
) -> None:
    tenant = await factory.tenant()
    offer = await factory.offer(tenant, name="Offer")
    schedule = await factory.schedule(tenant, offer, name="Schedule", lead_duplicate_timeframe=3600)
    google = await factory.traffic_source(tenant, name="Google")
    bing = await factory.traffic_source(tenant, name="Bing")
    shop = Shop(client, factory, tenant, offer, schedule, google, bing)
    start = clock.now()
    made = Made()
    for op in ops:
        await _run(shop, clock, op, made)
    async with factory.sessionmaker() as session:
        company = await session.get(Company, tenant.company.id)
        assert company is not None
        zone = ZoneInfo(company.time_zone)
    first = (start.astimezone(zone) - timedelta(days=1)).date().isoformat()
    last = (clock.now().astimezone(zone) + timedelta(days=1)).date().isoformat()
    await assert_roll_ups_sum_the_counters(factory)
    for grouping in GROUPINGS:
        body = await shop.report(
            **{"from": first, "to": last},
            group_by=grouping,
            metrics=",".join(METRICS),
            per_page=1000,
        )
        assert body["metadata"]["total_pages"] == 1
        expected = await _expected(shop, grouping, zone)
        assert _answered(body["report"]["rows"], grouping) == expected, grouping
