"""``GET /api/v1/reports`` read the way a newcomer writes it: ``from`` alone, an RFC 3339 time
pasted into a query string, a date out of any sensible range, ordered by a metric not shown.
The clock stands at 2026-01-05 15:00 UTC (10:00 in New York, the company's zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.clock import FrozenClock
from leadflow.reports.shaping import filled_size, zero
from tests.reports.conftest import Shop


async def _errors(shop: Shop, query: str) -> dict[str, Any]:
    answer = await shop.client.get(f"/api/v1/reports?{query}", headers=shop.tenant.auth)
    assert answer.status_code == 422, answer.text
    errors: dict[str, Any] = answer.json()["errors"]
    return errors


async def test_from_alone_reports_until_today(shop: Shop, clock: FrozenClock) -> None:
    clock.current = datetime(2026, 1, 2, 15, tzinfo=UTC)
    await shop.post("+17193132601")
    clock.current = datetime(2026, 1, 5, 15, tzinfo=UTC)
    await shop.post("+17193132602")

    body = await shop.report(**{"from": "2026-01-02"}, metrics="leads")

    assert body["report"]["totals"] == {"leads": 2}
    assert body["metadata"]["from"] == "2026-01-02T00:00:00-05:00"
    assert body["metadata"]["to"] == "2026-01-06T00:00:00-05:00"


async def test_an_instant_alone_reports_from_then_until_today(shop: Shop) -> None:
    await shop.post("+17193132601")

    body = await shop.report(**{"from": "2026-01-05T09:30:00-05:00"}, metrics="leads")

    assert body["report"]["totals"] == {"leads": 1}
    assert body["metadata"]["from"] == "2026-01-05T09:00:00-05:00"
    assert body["metadata"]["to"] == "2026-01-06T00:00:00-05:00"


async def test_one_bound_beyond_today_names_that_day(shop: Shop) -> None:
    ahead = await shop.report(**{"from": "2026-01-09"}, metrics="leads")
    gone = await shop.report(to="2025-12-31", metrics="leads")

    assert (ahead["metadata"]["from"], ahead["metadata"]["to"]) == (
        "2026-01-09T00:00:00-05:00",
        "2026-01-10T00:00:00-05:00",
    )
    assert (gone["metadata"]["from"], gone["metadata"]["to"]) == (
        "2025-12-31T00:00:00-05:00",
        "2026-01-01T00:00:00-05:00",
    )


async def test_a_plus_sent_unencoded_still_reads_as_an_offset(shop: Shop) -> None:
    await shop.post("+17193132601")

    # ``from=2026-01-05T12:00:00+02:00`` typed into a URL: the ``+`` arrives as a space.
    answer = await shop.client.get(
        "/api/v1/reports?from=2026-01-05T12:00:00+02:00&metrics=leads", headers=shop.tenant.auth
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["metadata"]["from"] == "2026-01-05T05:00:00-05:00"
    assert answer.json()["report"]["totals"] == {"leads": 1}


@pytest.mark.parametrize(
    "query",
    [
        "from=9999-12-31",
        "to=9999-12-31",
        "from=0001-01-01",
        "from=0001-01-01T00:00:00Z",
        "from=9999-12-31T23:30:00Z",
    ],
)
async def test_a_bound_out_of_range_is_422_not_500(shop: Shop, query: str) -> None:
    errors = await _errors(shop, query)

    assert errors == {query.split("=")[0]: ["must be between 1970-01-01 and 8999-12-31"]}


async def test_a_bad_from_is_the_only_field_named(shop: Shop) -> None:
    assert await _errors(shop, "from=yesterday") == {
        "from": ["must be a date (YYYY-MM-DD) or an RFC 3339 time"]
    }


async def test_a_report_may_be_ordered_by_a_metric_it_does_not_show(shop: Shop) -> None:
    for n in range(3):
        lead = await shop.post(f"+1719313260{n}", traffic_source_id=shop.google.id)
        await shop.call(lead["id"], traffic_source_id=shop.google.id)
    lead = await shop.post("+17193132609", traffic_source_id=shop.bing.id)
    await shop.call(lead["id"], traffic_source_id=shop.bing.id, revenue_cents=5000)
    query = {"group_by": "traffic_source", "metrics": "leads", "order": "revenue"}

    paged = await shop.report(**query, order_dir="desc")
    # Ordered in Python (a rounded ratio), as ``conversion_rate`` is.
    folded = await shop.report(**(query | {"order": "revenue_per_lead"}), order_dir="desc")

    for body in (paged, folded):
        assert body["report"]["rows"] == [
            {"traffic_source": {"id": shop.bing.id, "name": "Bing"}, "leads": 1},
            {"traffic_source": {"id": shop.google.id, "name": "Google"}, "leads": 3},
        ]
        assert body["report"]["totals"] == {"leads": 4}


async def test_ordering_by_a_dimension_not_grouped_by_names_what_may_be(shop: Shop) -> None:
    errors = await _errors(shop, "group_by=traffic_source&order=sub_id")

    assert errors == {
        "order": ["sub_id is not allowed; allowed: any metric, or a dimension grouped by"
                  " (traffic_source)"]
    }  # fmt: skip


def test_the_groups_a_time_series_would_fill_are_counted_before_any_is_made() -> None:
    hours = [f"h{n}" for n in range(8880)]  # a year and a few days
    found = {(f"sub{n}", "h0"): zero() for n in range(5000)}

    assert filled_size(found, ("sub_id", "hour"), {"hour": hours}) == 5000 * 8880
    assert filled_size({}, ("hour",), {"hour": hours}) == 8880


async def test_a_year_by_hour_and_sub_id_is_refused_not_built(shop: Shop) -> None:
    for n in range(12):
        await shop.post(f"+171931326{n:02d}", sub_id=f"s{n}")

    errors = await _errors(shop, "group_by=hour,sub_id&metrics=leads&from=2025-01-01&to=2026-01-05")

    assert errors == {"group_by": ["more than 100000 groups; narrow the range or the grouping"]}
