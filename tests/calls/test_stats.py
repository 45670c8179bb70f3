"""``GET /api/v1/calls/stats``: every grouping and every stat, with sums worked out by hand
from the calls each test makes. The company's time zone is New York (UTC-5 in January)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from leadflow.calls.stats import local_day
from leadflow.models import Lead, LeadStatus
from tests.calls.seed import Calls
from tests.factories import Factory, Tenant

SINCE = "2026-01-04 00:00:00 +0000"


@dataclass
class World:
    calls: Calls
    tenant: Tenant
    ids: dict[str, int]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
async def world(factory: Factory, client: httpx.AsyncClient) -> World:
    """Calls A, B, C in the range and D before it; another company's call never counts.

    A 2026-01-05 15:00Z (NY 01-05) completed  offer1 schedule1 source1  $10.00 / $3.50
    B 2026-01-06 03:30Z (NY 01-05) busy       offer1 -         -        $0.01  / $0
    C 2026-01-06 05:15Z (NY 01-06) completed  offer2 schedule2 source1  $2.50  / $4.00
    D 2026-01-03 12:00Z (NY 01-03) completed  offer2 -         -        $100   / $0
    """
    calls = Calls(factory, client)
    tenant = await factory.tenant()
    offer1 = await factory.offer(tenant, name="Auto")
    offer2 = await factory.offer(tenant, name="Home")
    schedule1 = await factory.schedule(tenant, offer1, name="Morning")
    schedule2 = await factory.schedule(tenant, offer2, name="Evening")
    source1 = await factory.traffic_source(tenant, name="Publisher One")
    await calls.call(
        tenant,
        at=_at("2026-01-05 15:00"),
        offer_id=offer1.id,
        schedule_id=schedule1.id,
        traffic_source_id=source1.id,
        revenue_cents=1000,
        payout_cents=350,
    )
    await calls.call(
        tenant, at=_at("2026-01-06 03:30"), status="busy", offer_id=offer1.id, revenue_cents=1
    )
    await calls.call(
        tenant,
        at=_at("2026-01-06 05:15"),
        offer_id=offer2.id,
        schedule_id=schedule2.id,
        traffic_source_id=source1.id,
        revenue_cents=250,
        payout_cents=400,
    )
    await calls.call(tenant, at=_at("2026-01-03 12:00"), offer_id=offer2.id, revenue_cents=10000)
    other = await factory.tenant()
    await calls.call(other, at=_at("2026-01-05 15:00"), revenue_cents=99999)
    ids = {
        "offer1": offer1.id,
        "offer2": offer2.id,
        "schedule1": schedule1.id,
        "schedule2": schedule2.id,
        "source1": source1.id,
    }
    return World(calls, tenant, ids)


# (group, name, calls, count, revenue, payout, profit) per group, in the answer's order.
EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    "status": [
        ("busy", None, 1, 1, 0.01, 0.0, 0.01),
        ("completed", None, 2, 2, 12.5, 7.5, 5.0),
    ],
    "created_at_day": [
        ("2026-01-05", None, 2, 2, 10.01, 3.5, 6.51),
        ("2026-01-06", None, 1, 1, 2.5, 4.0, -1.5),
    ],
    "traffic_source": [
        ("source1", "Publisher One", 2, 2, 12.5, 7.5, 5.0),
        (None, None, 1, 1, 0.01, 0.0, 0.01),
    ],
    "offer": [
        ("offer1", "Auto", 2, 2, 10.01, 3.5, 6.51),
        ("offer2", "Home", 1, 1, 2.5, 4.0, -1.5),
    ],
    "schedule": [
        ("schedule1", "Morning", 1, 1, 10.0, 3.5, 6.5),
        ("schedule2", "Evening", 1, 1, 2.5, 4.0, -1.5),
        (None, None, 1, 1, 0.01, 0.0, 0.01),
    ],
}
STATS = ("count", "revenue", "payout", "profit")


async def test_every_grouping_and_stat_sums_exactly(world: World) -> None:
    for group_by, rows in EXPECTED.items():
        for index, stat in enumerate(STATS):
            answer = await world.calls.get(
                world.tenant, "/stats", group_by=group_by, stat=stat, created_at_from=SINCE
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["metadata"]["group_by"] == group_by
            expected = [
                {
                    "group": world.ids.get(group, group) if group else None,
                    "name": name,
                    "calls": calls,
                    "value": row[3 + index],
                }
                for row in rows
                for group, name, calls in [row[:3]]
            ]
            assert body["stats"] == expected, (group_by, stat)


async def test_cost_is_the_payout_under_trackdrives_name(world: World) -> None:
    def values(stat: str) -> list[float]:
        return [row["value"] for row in answers[stat]]

    answers = {}
    for stat in ("cost", "payout"):
        answer = await world.calls.get(world.tenant, "/stats", group_by="schedule", stat=stat)
        assert answer.status_code == 200, answer.text
        answers[stat] = answer.json()["stats"]
    assert values("cost") == values("payout") == [3.5, 4.0, 0.0]


async def test_days_are_the_companys_local_days_and_the_range_ends_where_asked(
    world: World,
) -> None:
    body = (await world.calls.get(world.tenant, "/stats", group_by="created_at_day")).json()
    assert [(r["group"], r["value"]) for r in body["stats"]] == [
        ("2026-01-03", 1),
        ("2026-01-05", 2),
        ("2026-01-06", 1),
    ]
    assert body["metadata"]["time_zone"] == "America/New_York"
    until = await world.calls.get(
        world.tenant,
        "/stats",
        stat="revenue",
        created_at_to="2026-01-05 23:59:59 +0000",
    )
    assert until.json()["stats"] == [
        {"group": "completed", "name": None, "calls": 2, "value": 110.0}
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "weekday"}, "group_by"),
        ({"stat": "margin"}, "stat"),
        ({"created_at_from": "soon"}, "created_at_from"),
    ],
)
async def test_an_unknown_grouping_stat_or_time_is_a_422_naming_it(
    world: World, params: dict[str, str], field: str
) -> None:
    answer = await world.calls.get(world.tenant, "/stats", **params)
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == [field]


def test_a_utc_quarter_hour_falls_on_its_local_day() -> None:
    new_york = ZoneInfo("America/New_York")
    assert local_day("2026-01-06 04:45", new_york) == "2026-01-05"
    assert local_day("2026-01-06 05:00", new_york) == "2026-01-06"
    assert local_day("2026-07-06 03:45", new_york) == "2026-07-05"
    assert local_day("2026-07-06 04:00", new_york) == "2026-07-06"
    assert local_day("2026-01-05 18:15", ZoneInfo("Asia/Kathmandu")) == "2026-01-06"


async def test_calls_group_by_their_leads_sub_id_alone_and_with_the_traffic_source(
    factory: Factory, client: httpx.AsyncClient
) -> None:
    """A: source1/sub "fb-1" $1; B: source1/sub "fb-2" $2; C: source2/sub "fb-1" $4;
    D: source1, no lead $8."""
    calls = Calls(factory, client)
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    source1 = await factory.traffic_source(tenant, name="Publisher One")
    source2 = await factory.traffic_source(tenant, name="Publisher Two")
    made = [("fb-1", source1, 100), ("fb-2", source1, 200), ("fb-1", source2, 400)]
    for sub_id, source, cents in made:
        lead = await factory._add(
            Lead(
                company_id=tenant.company.id,
                offer_id=schedule.offer_id,
                schedule_id=schedule.id,
                caller_id="+17193132645",
                status=LeadStatus.SCHEDULED,
                sub_id=sub_id,
                traffic_source_id=source.id,
                created_at=_at("2026-01-05 12:00"),
                updated_at=_at("2026-01-05 12:00"),
            )
        )
        await calls.call(
            tenant,
            at=_at("2026-01-05 15:00"),
            lead_id=lead.id,
            traffic_source_id=source.id,
            revenue_cents=cents,
        )
    await calls.call(
        tenant, at=_at("2026-01-05 16:00"), traffic_source_id=source1.id, revenue_cents=800
    )

    alone = await calls.get(tenant, "/stats", group_by="sub_id", stat="revenue")
    assert alone.status_code == 200, alone.text
    assert alone.json()["metadata"]["group_by"] == "sub_id"
    assert alone.json()["stats"] == [
        {"group": "fb-1", "name": None, "calls": 2, "value": 5.0},
        {"group": "fb-2", "name": None, "calls": 1, "value": 2.0},
        {"group": None, "name": None, "calls": 1, "value": 8.0},
    ]
    both = await calls.get(tenant, "/stats", group_by="traffic_source,sub_id", stat="revenue")
    assert both.status_code == 200, both.text
    one, two = source1.id, source2.id  # made in this order: one < two
    expected = [
        ({"traffic_source": one, "sub_id": "fb-1"}, "Publisher One", 1, 1.0),
        ({"traffic_source": one, "sub_id": "fb-2"}, "Publisher One", 1, 2.0),
        ({"traffic_source": one, "sub_id": None}, "Publisher One", 1, 8.0),
        ({"traffic_source": two, "sub_id": "fb-1"}, "Publisher Two", 1, 4.0),
    ]
    assert both.json()["stats"] == [
        {"group": group, "name": name, "calls": count, "value": value}
        for group, name, count, value in expected
    ]
