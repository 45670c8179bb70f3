"""``GET /api/v1/calls/stats``: how calls are grouped and what is summed, as pure functions.

The repository answers one row per group with the call count and the cents summed (sums of
integers, so money is exact). ``created_at_day`` is the day in the company's time zone:
PostgreSQL converts in SQL; SQLite has no time zones, so it groups by the UTC quarter hour
and :func:`fold_local_days` adds those up per local day (every zone in use today is a whole
number of quarter hours from UTC, so no quarter straddles two local days).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from leadflow.calls.schemas import GroupBy, StatRow
from leadflow.calls.serializer import dollars

ENTITY_GROUPS: Mapping[str, str] = {
    "offer": "offer_id",
    "schedule": "schedule_id",
    "traffic_source": "traffic_source_id",
}
"""Groups by a related row: the call column holding its id."""


@dataclass(frozen=True)
class Bucket:
    """One group as the database sums it."""

    key: str | int | None
    calls: int
    revenue_cents: int
    payout_cents: int


def stat_value(stat: str, bucket: Bucket) -> float | int:
    """``count`` is the number of calls; money stats are dollars, ``profit`` being revenue
    less payout (negative when the payout was larger), ``cost`` another name for payout."""
    if stat == "count":
        return bucket.calls
    cents = {
        "revenue": bucket.revenue_cents,
        "payout": bucket.payout_cents,
        "cost": bucket.payout_cents,
        "profit": bucket.revenue_cents - bucket.payout_cents,
    }[stat]
    return dollars(cents)


def local_day(utc_quarter: str, zone: ZoneInfo) -> str:
    """``2026-01-05 03:45`` (UTC) → ``2026-01-04`` in New York."""
    instant = datetime.strptime(utc_quarter, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return instant.astimezone(zone).date().isoformat()


def fold_local_days(buckets: Iterable[Bucket], zone: ZoneInfo) -> list[Bucket]:
    """Quarter-hour buckets (UTC) summed per local day."""
    days: dict[str, list[int]] = {}
    for bucket in buckets:
        day = local_day(str(bucket.key), zone)
        totals = days.setdefault(day, [0, 0, 0])
        totals[0] += bucket.calls
        totals[1] += bucket.revenue_cents
        totals[2] += bucket.payout_cents
    return [Bucket(day, *totals) for day, totals in days.items()]


def _order(bucket: Bucket) -> tuple[int, str | int]:
    """Groups in key order, the calls without a value (no offer, say) last."""
    if bucket.key is None:
        return (1, "")
    return (0, bucket.key)


def stat_rows(
    group_by: GroupBy,
    stat: str,
    buckets: Iterable[Bucket],
    names: Mapping[int, str] | None = None,
) -> list[StatRow]:
    """The answer's rows, in group order."""
    names = names or {}
    rows = []
    for bucket in sorted(buckets, key=_order):
        name = names.get(int(bucket.key)) if group_by in ENTITY_GROUPS and bucket.key else None
        rows.append(
            StatRow(group=bucket.key, name=name, calls=bucket.calls, value=stat_value(stat, bucket))
        )
    return rows
