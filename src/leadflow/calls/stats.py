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

SUB_ID = "sub_id"
"""Groups by the ``sub_id`` of the call's lead (the publisher's own sub-source)."""


def group_parts(group_by: str) -> tuple[str, ...]:
    """``traffic_source,sub_id`` → ``("traffic_source", "sub_id")``: one key per part."""
    return tuple(part.strip() for part in group_by.split(","))


def named_group(group_by: str) -> str | None:
    """The part whose ids have names (an offer's, a schedule's, a traffic source's), if any."""
    return next((part for part in group_parts(group_by) if part in ENTITY_GROUPS), None)


@dataclass(frozen=True)
class Bucket:
    """One group as the database sums it."""

    key: str | int | tuple[str | int | None, ...] | None
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


def _order_one(key: str | int | None) -> tuple[int, str | int]:
    if key is None:
        return (1, "")
    return (0, key)


def _order(bucket: Bucket) -> tuple[tuple[int, str | int], ...]:
    """Groups in key order (part by part), the calls without a value (no offer, say) last."""
    keys = bucket.key if isinstance(bucket.key, tuple) else (bucket.key,)
    return tuple(_order_one(key) for key in keys)


def named_id(group_by: str, bucket: Bucket) -> int | None:
    """The id of the named row a bucket is grouped by (see :func:`named_group`)."""
    part = named_group(group_by)
    if part is None:
        return None
    keys = bucket.key if isinstance(bucket.key, tuple) else (bucket.key,)
    key = keys[group_parts(group_by).index(part)]
    return key if isinstance(key, int) else None


def stat_rows(
    group_by: GroupBy,
    stat: str,
    buckets: Iterable[Bucket],
    names: Mapping[int, str] | None = None,
) -> list[StatRow]:
    """The answer's rows, in group order; a grouping by several parts answers each row's
    ``group`` as an object keyed by part."""
    names = names or {}
    parts = group_parts(group_by)
    rows = []
    for bucket in sorted(buckets, key=_order):
        found = named_id(group_by, bucket)
        name = names.get(found) if found is not None else None
        group: str | int | dict[str, str | int | None] | None
        if isinstance(bucket.key, tuple):
            group = dict(zip(parts, bucket.key, strict=True))
        else:
            group = bucket.key
        rows.append(
            StatRow(group=group, name=name, calls=bucket.calls, value=stat_value(stat, bucket))
        )
    return rows
