"""A report by traffic source and sub ID reads its range as aligned blocks of hours from
``report_source_blocks`` and at most three hours at each end from the counters: a lead in any hour
of the range counts once, a lead outside it not at all, whichever rows answer.

The company's zone is New York (UTC-5 in January): its 2 and 3 January run from 05:00 UTC on
the 2nd to 05:00 UTC on the 4th, hours 490,925 to 490,973 since the Unix epoch: three hours
from the counters, blocks of 16, 16, 4, 4 and 4 hours, and one more hour from the counters (see
``test_a_range_is_the_fewest_aligned_blocks``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import text

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.db.engine import create_engine
from leadflow.db.migrate import alembic_config, upgrade
from leadflow.models.report_counter import SPAN_HOURS
from leadflow.reports import pending
from leadflow.reports.blocks import Part, blocks
from leadflow.reports.rebuild import rebuild
from leadflow.settings import Settings
from tests.reports.conftest import Shop

RANGE = {"from": "2026-01-02", "to": "2026-01-03"}
FIRST = datetime(2026, 1, 2, 5, tzinfo=UTC)
LAST = datetime(2026, 1, 4, 5, tzinfo=UTC)


def _moments() -> dict[datetime, bool]:
    """A moment in every hour of the range and the hour on each side, and whether it counts."""
    found = {FIRST - timedelta(minutes=10): False, LAST: False}
    hour = FIRST
    while hour < LAST:
        found[hour + timedelta(minutes=59 if hour.hour % 2 else 0)] = True
        hour += timedelta(hours=1)
    return found


async def _post_at_each_moment(shop: Shop, clock: FrozenClock) -> dict[str, int]:
    """The leads posted, by sub ID, that fall in the range."""
    counted: dict[str, int] = {}
    for n, (moment, inside) in enumerate(_moments().items()):
        clock.current = moment
        sub = f"s{n % 3}"
        await shop.post(f"+1719313{n:04d}", traffic_source_id=shop.google.id, sub_id=sub)
        counted[sub] = counted.get(sub, 0) + inside
    clock.current = datetime(2026, 1, 5, 15, tzinfo=UTC)
    return counted


def _by_sub_id(body: dict[str, Any]) -> dict[str | None, int]:
    return {row["sub_id"]: row["leads"] for row in body["report"]["rows"]}


async def test_every_hour_of_the_range_counts_once(shop: Shop, clock: FrozenClock) -> None:
    expected = await _post_at_each_moment(shop, clock)

    by_source = await shop.report(**RANGE, group_by="traffic_source,sub_id", metrics="leads")
    by_day = await shop.report(**RANGE, group_by="day", metrics="leads")
    by_state = await shop.report(**RANGE, group_by="state,sub_id", metrics="leads")

    assert _by_sub_id(by_source) == expected
    assert by_source["report"]["totals"]["leads"] == 48
    assert by_day["report"]["totals"]["leads"] == 48
    assert _by_sub_id(by_state) == expected  # from the counters alone
    filtered = await shop.report(**RANGE, group_by="sub_id", sub_id="s1", metrics="leads")
    assert _by_sub_id(filtered) == {"s1": expected["s1"]}
    ordered = await shop.report(
        **RANGE, group_by="sub_id", metrics="leads", order="leads", order_dir="desc", per_page=1
    )
    assert ordered["metadata"]["total_count"] == 3
    assert ordered["report"]["totals"]["leads"] == 48


async def test_a_sub_id_only_in_what_a_block_overshoots_is_not_a_group(
    shop: Shop, clock: FrozenClock
) -> None:
    # The range's first part is a 4-hour block from the hour before it, less that hour: a
    # lead there is read once and taken away once.
    assert Part(1, 4, _hour(FIRST) - 1) in blocks(_hour(FIRST), _hour(LAST))
    clock.current = FIRST - timedelta(minutes=30)
    await shop.post("+17193130001", traffic_source_id=shop.google.id, sub_id="before")
    clock.current = FIRST + timedelta(hours=5)
    await shop.post("+17193130002", traffic_source_id=shop.google.id, sub_id="inside")
    clock.current = datetime(2026, 1, 5, 15, tzinfo=UTC)

    paged = await shop.report(**RANGE, group_by="traffic_source,sub_id", metrics="leads")
    as_csv = await shop.client.get(
        "/api/v1/reports",
        params={**RANGE, "group_by": "sub_id", "metrics": "leads", "format": "csv"},
        headers=shop.tenant.auth,
    )

    assert _by_sub_id(paged) == {"inside": 1}
    assert paged["metadata"]["total_count"] == 1
    assert "before" not in as_csv.text
    assert "inside" in as_csv.text


async def test_a_damaged_roll_up_shows_and_a_rebuild_recounts_it(
    shop: Shop, clock: FrozenClock, app: FastAPI
) -> None:
    await _post_at_each_moment(shop, clock)
    query = {**RANGE, "group_by": "traffic_source,sub_id"}
    before = await shop.report(**query)
    async with state_of(app).sessionmaker() as session:
        await session.execute(text("UPDATE report_source_blocks SET leads = leads + 40"))
        await session.commit()
        # Each block the range reads brings its 40 a row, added or taken away.
        damage = 0
        for part in blocks(_hour(FIRST), _hour(LAST)):
            if part.span > 1:
                rows = await session.scalar(
                    text(
                        "SELECT count(*) FROM report_source_blocks "
                        "WHERE span_hours = :span AND first_hour = :first"
                    ),
                    {"span": part.span, "first": part.first},
                )
                damage += part.sign * 40 * int(rows or 0)
    assert damage != 0
    assert (await shop.report(**query))["report"]["totals"]["leads"] == 48 + damage

    await rebuild(state_of(app).sessionmaker)

    assert (await shop.report(**query))["report"] == before["report"]


def _hour(moment: datetime) -> int:
    return int(moment.timestamp()) // 3600


def _net(parts: list[Part]) -> dict[int, int]:
    """How many times each hour counts, the parts taken away less."""
    counted: dict[int, int] = {}
    for part in parts:
        for hour in range(part.first, part.first + part.span):
            counted[hour] = counted.get(hour, 0) + part.sign
    return {hour: n for hour, n in counted.items() if n}


def test_a_two_day_range_from_new_york_midnight_is_seven_parts() -> None:
    first, last = _hour(FIRST), _hour(LAST)  # 05:00 UTC, an hour past a multiple of four

    parts = blocks(first, last)

    # Two days from midnight in New York: three 16-hour blocks from 08:00 less the hour before
    # the first and the three after the last, read as an hour and a 4-hour block each end;
    # blocks only added took five blocks and four hours.
    assert sorted(parts) == sorted(
        [
            Part(-1, 1, first - 1),
            Part(1, 4, first - 1),
            Part(1, 16, first + 3),
            Part(1, 16, first + 19),
            Part(1, 16, first + 35),
            Part(-1, 4, last - 1),
            Part(1, 1, last - 1),
        ]
    )
    assert _net(parts) == {hour: 1 for hour in range(first, last)}


def test_a_month_from_midnight_in_new_york_is_nine_parts() -> None:
    first = _hour(datetime(2026, 11, 2, 5, tzinfo=UTC))

    parts = blocks(first, first + 30 * 24)

    assert len(parts) == 9
    assert sum(part.span == 1 for part in parts) == 2


@pytest.mark.parametrize("length", [0, 1, 2, 23, 24, 720, 2160, 9000])
@pytest.mark.parametrize("offset", [0, 1, 2, 5, 13, 4095])
def test_parts_count_every_hour_of_any_range_once(offset: int, length: int) -> None:
    first = 492_000 + offset

    parts = blocks(first, first + length)

    assert _net(parts) == {hour: 1 for hour in range(first, first + length)}
    assert all(part.span in (1, *SPAN_HOURS) and part.first % part.span == 0 for part in parts)
    assert sum(part.span == 1 for part in parts) <= 4
    # Rounding each end to the nearest multiple steps over at most two parts a length.
    assert len(parts) <= 4 * len(SPAN_HOURS) + length // SPAN_HOURS[-1] + 1


async def test_the_migration_fills_the_blocks_from_the_counters_already_there(
    shop: Shop, clock: FrozenClock, settings: Settings
) -> None:
    """A database upgraded to 0021 with counters in it reads as one that counted all along."""
    await _post_at_each_moment(shop, clock)
    await shop.call(None, revenue_cents=1250)
    before = await _blocks(settings.database_url)
    assert len(before) > 20

    await asyncio.to_thread(command.downgrade, alembic_config(settings.database_url), "0020")
    upgrade(settings.database_url)

    assert await _blocks(settings.database_url) == before


async def _blocks(url: str) -> list[tuple[Any, ...]]:
    """The blocks, once the leads waiting to be counted are (as a report folds them)."""
    engine = create_engine(url, pool_size=1)
    try:
        await pending.fold_all(engine)
        async with engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT span_hours, first_hour, traffic_source_id, sub_id, leads, calls, "
                    "revenue_cents FROM report_source_blocks "
                    "WHERE leads <> 0 OR calls <> 0 OR revenue_cents <> 0 ORDER BY 1, 2, 3, 4"
                )
            )
            return [tuple(row) for row in found]
    finally:
        await engine.dispose()
