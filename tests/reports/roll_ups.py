"""The report roll-ups checked against the counters they sum, for the property test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from leadflow.models.report_counter import METRIC_COLUMNS, SPAN_HOURS
from tests.factories import Factory


async def assert_roll_ups_sum_the_counters(factory: Factory) -> None:
    """``report_totals`` (what a time series without attribution reads) holds, for every
    company and hour, the sums of ``report_counters``; ``report_source_blocks`` (what a report
    by traffic source and sub ID reads) their sums per block of hours, source and sub ID."""
    sums = ", ".join(f"sum({m})" for m in METRIC_COLUMNS)
    source = "company_id, traffic_source_id, sub_id"
    async with factory.sessionmaker() as session:
        rolled = await session.execute(
            text(f"SELECT company_id, hour, {sums} FROM report_totals GROUP BY company_id, hour")
        )
        counted = await session.execute(
            text(f"SELECT company_id, hour, {sums} FROM report_counters GROUP BY company_id, hour")
        )
        nonzero = lambda rows: {(r[0], str(r[1])): tuple(r[2:]) for r in rows if any(r[2:])}  # noqa: E731
        assert nonzero(rolled.all()) == nonzero(counted.all())
        blocks = await session.execute(
            text(f"SELECT span_hours, first_hour, {source}, {sums} FROM report_source_blocks "
                 f"GROUP BY span_hours, first_hour, {source}")
        )  # fmt: skip
        hours = (
            await session.execute(
                text(f"SELECT hour, {source}, {sums} FROM report_counters GROUP BY hour, {source}")
            )
        ).all()
        by_block: dict[tuple[Any, ...], list[int]] = {}
        for hour, *key_and_sums in hours:
            number = int(_utc(hour).timestamp()) // 3600
            for span in SPAN_HOURS:
                key = (span, number // span * span, *key_and_sums[:3])
                adding = by_block.setdefault(key, [0] * len(METRIC_COLUMNS))
                for i, value in enumerate(key_and_sums[3:]):
                    adding[i] += int(value)
        stored = {tuple(r[:5]): list(map(int, r[5:])) for r in blocks if any(r[5:])}
        assert stored == {key: v for key, v in by_block.items() if any(v)}


def _utc(value: Any) -> datetime:
    """A counter's hour as a raw SQL query returns it (text on SQLite)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
