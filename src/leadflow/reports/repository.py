"""Report queries: sums over ``report_counters``, names for ids, and the rebuild from the
raw tables (``leadflow reports rebuild``, and the benchmark's "straight off the tables")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import Campaign, Company, Offer, ReportCounter, Schedule, TrafficSource
from leadflow.models.report_counter import METRIC_COLUMNS

DIMENSION_COLUMN = {
    "schedule": "schedule_id",
    "offer": "offer_id",
    "traffic_source": "traffic_source_id",
    "sub_id": "sub_id",
    "campaign": "campaign_id",
    "buyer": "buyer",
    "state": "state",
}
"""Group-by names stored as a counter column (the time ones come from ``hour``)."""

NAMED: dict[str, tuple[Any, Any, Any]] = {
    "schedule": (Schedule.id, Schedule.name, Schedule.company_id),
    "offer": (Offer.id, Offer.name, Offer.company_id),
    "traffic_source": (TrafficSource.id, TrafficSource.name, TrafficSource.company_id),
    "campaign": (Campaign.id, Campaign.name, Campaign.company_id),
}
"""The id, name and company columns of the rows a dimension names."""


@dataclass(frozen=True)
class CounterFilter:
    """What the report is narrowed to (``None``: everything)."""

    traffic_source_id: int | None = None
    sub_id: str | None = None
    schedule_id: int | None = None
    offer_id: int | None = None
    campaign_id: int | None = None


@dataclass(frozen=True)
class CounterRow:
    """One group as the database sums it: ``hour`` (when grouped by time), the dimension
    columns asked for, and every metric column."""

    hour: datetime | None
    keys: tuple[Any, ...]
    sums: Mapping[str, int]


class ReportRepository:
    def __init__(self, session: AsyncSession, company_id: int) -> None:
        self.session = session
        self.company_id = company_id

    async def company_time_zone(self) -> str:
        zone = await self.session.scalar(
            select(Company.time_zone).where(Company.id == self.company_id)
        )
        return zone or "UTC"

    async def sums(
        self,
        columns: Sequence[str],
        by_hour: bool,
        start: datetime,
        end: datetime,
        narrowed: CounterFilter,
    ) -> list[CounterRow]:
        """Counter sums for ``start <= hour < end``, grouped by the columns (and the hour)."""
        keys: list[Any] = [getattr(ReportCounter, name) for name in columns]
        if by_hour:
            keys.insert(0, ReportCounter.hour)
        sums = [func.sum(getattr(ReportCounter, name)) for name in METRIC_COLUMNS]
        stmt = select(*keys, *sums).where(
            ReportCounter.company_id == self.company_id,
            ReportCounter.hour >= start,
            ReportCounter.hour < end,
        )
        for name in ("traffic_source_id", "sub_id", "schedule_id", "offer_id", "campaign_id"):
            wanted = getattr(narrowed, name)
            if wanted is not None:
                stmt = stmt.where(getattr(ReportCounter, name) == wanted)
        if keys:
            stmt = stmt.group_by(*keys)
        found = []
        for row in (await self.session.execute(stmt)).all():
            values = tuple(row)
            hour = values[0] if by_hour else None
            dims = values[1 : len(keys)] if by_hour else values[: len(keys)]
            totals = values[len(keys) :]
            found.append(
                CounterRow(
                    hour=hour,
                    keys=tuple(dims),
                    sums={n: int(v or 0) for n, v in zip(METRIC_COLUMNS, totals, strict=True)},
                )
            )
        return found

    async def names(self, dimension: str, ids: Sequence[int]) -> dict[int, str]:
        if dimension not in NAMED or not ids:
            return {}
        id_column, name_column, company_column = NAMED[dimension]
        stmt = select(id_column, name_column).where(
            company_column == self.company_id, id_column.in_(sorted(set(ids)))
        )
        return {int(i): str(n) for i, n in (await self.session.execute(stmt)).all()}


def hour_sql(dialect: str, instant: str) -> str:
    """The UTC hour an instant falls in, as the triggers of migration 0009 compute it."""
    if dialect == "postgresql":
        return f"(date_trunc('hour', {instant} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    return f"strftime('%Y-%m-%d %H:00:00.000000', {instant})"


def _json_text(dialect: str, document: str, key: str) -> str:
    if dialect == "postgresql":
        return f"({document}->>'{key}')"
    return f"(CASE WHEN json_valid({document}) THEN json_extract({document}, '$.{key}') END)"


def state_sql(dialect: str, tokens: str) -> str:
    raw = (
        f"coalesce({_json_text(dialect, tokens, 'state_province')}, "
        f"{_json_text(dialect, tokens, 'state')}, '')"
    )
    if dialect == "postgresql":
        return f"substr(upper(btrim({raw})), 1, 64)"
    return f"substr(upper(trim(CAST({raw} AS TEXT))), 1, 64)"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _sum(condition: str) -> str:
    return f"sum({_flag(condition)})"


KEY_COLUMNS = (
    "company_id",
    "hour",
    "schedule_id",
    "offer_id",
    "traffic_source_id",
    "sub_id",
    "campaign_id",
    "buyer",
    "state",
)


CONSTANTS = ("0", "''")


def rebuild_statements(dialect: str) -> list[tuple[str, str]]:
    """(what, SQL) that recount one company (``:company``) from its rows, after its counters
    were deleted: the same arithmetic as the triggers, as one GROUP BY per source table."""

    def h(instant: str) -> str:
        return hour_sql(dialect, instant)

    def state(tokens: str) -> str:
        return state_sql(dialect, tokens)

    sources: list[tuple[str, list[str], dict[str, str], str]] = [
        (
            "leads",
            [
                "l.company_id",
                h("l.created_at"),
                "coalesce(l.schedule_id, 0)",
                "coalesce(l.offer_id, 0)",
                "coalesce(l.traffic_source_id, 0)",
                "coalesce(l.sub_id, '')",
                "0",
                "''",
                state("l.tokens"),
            ],
            {"leads": "count(*)"},
            "FROM leads l WHERE l.company_id = :company",
        ),
        (
            "opt-outs",
            [
                "l.company_id",
                h("l.updated_at"),
                "coalesce(l.schedule_id, 0)",
                "coalesce(l.offer_id, 0)",
                "coalesce(l.traffic_source_id, 0)",
                "coalesce(l.sub_id, '')",
                "0",
                "''",
                state("l.tokens"),
            ],
            {"opt_outs": "count(*)"},
            "FROM leads l WHERE l.company_id = :company AND l.status = 'opt_out'",
        ),
        (
            "duplicates",
            [
                "l.company_id",
                h("e.created_at"),
                "coalesce(l.schedule_id, 0)",
                "coalesce(l.offer_id, 0)",
                "coalesce(l.traffic_source_id, 0)",
                "coalesce(l.sub_id, '')",
                "0",
                "''",
                state("l.tokens"),
            ],
            {"duplicates": "count(*)"},
            "FROM lead_events e JOIN leads l ON l.id = e.lead_id WHERE e.company_id = :company "
            f"AND e.kind = 'updated' AND {_json_text(dialect, 'e.data', 'by')} IS NULL",
        ),
        (
            "calls",
            [
                "c.company_id",
                h("c.created_at"),
                "coalesce(c.schedule_id, 0)",
                "coalesce(c.offer_id, 0)",
                "coalesce(c.traffic_source_id, 0)",
                "coalesce(l.sub_id, '')",
                "0",
                "''",
                f"coalesce({state('l.tokens')}, '')",
            ],
            {
                "calls": "count(*)",
                "connected_calls": _sum("c.answered_at IS NOT NULL"),
                "converted_calls": _sum("c.buyer_converted OR c.offer_converted"),
                "revenue_cents": "sum(c.revenue_cents)",
                "payout_cents": "sum(c.payout_cents)",
            },
            "FROM calls c LEFT JOIN leads l ON l.id = c.lead_id WHERE c.company_id = :company",
        ),
        (
            "messages",
            [
                "m.company_id",
                h("m.created_at"),
                "coalesce(m.schedule_id, 0)",
                "coalesce(l.offer_id, 0)",
                "coalesce(l.traffic_source_id, 0)",
                "coalesce(l.sub_id, '')",
                "0",
                "''",
                f"coalesce({state('l.tokens')}, '')",
            ],
            {
                "sms": _sum("m.channel = 'sms' AND m.direction = 'outbound'"),
                "emails": _sum("m.channel = 'email' AND m.direction = 'outbound'"),
            },
            "FROM messages m LEFT JOIN leads l ON l.id = m.lead_id WHERE m.company_id = :company",
        ),
        (
            "submissions",
            [
                "s.company_id",
                h("s.created_at"),
                "0",
                "0",
                "0",
                "''",
                "coalesce(s.campaign_id, 0)",
                f"substr(coalesce(CAST({_json_text(dialect, 's.delivery', 'url')} AS TEXT), ''),"
                " 1, 300)",
                state("s.data"),
            ],
            {
                "submissions": "count(*)",
                "submissions_delivered": _sum("s.status = 'delivered'"),
                "submissions_rejected": _sum("s.status = 'rejected'"),
                "submissions_disqualified": _sum("s.status = 'disqualified'"),
                "submissions_duplicate": _sum("s.status = 'duplicate'"),
                "submissions_error": _sum("s.status IN ('error', 'failed')"),
            },
            "FROM submissions s WHERE s.company_id = :company",
        ),
    ]
    statements = []
    for what, key, metrics, source in sources:  # constants are not grouped by (a number
        # in GROUP BY names a column)
        columns = ", ".join((*KEY_COLUMNS, *metrics))
        sets = ", ".join(f"{m} = report_counters.{m} + excluded.{m}" for m in metrics)
        statements.append(
            (
                what,
                f"INSERT INTO report_counters ({columns}) "
                f"SELECT {', '.join(key)}, {', '.join(metrics.values())} {source} "
                f"GROUP BY {', '.join(k for k in key if k not in CONSTANTS)} "
                f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {sets}",
            )
        )
    return statements


async def company_ids(session: AsyncSession) -> list[int]:
    return [int(i) for i in (await session.scalars(select(Company.id).order_by(Company.id)))]


async def clear_counters(session: AsyncSession, company_id: int) -> None:
    await session.execute(
        text("DELETE FROM report_counters WHERE company_id = :company"), {"company": company_id}
    )


async def recount(session: AsyncSession, statement: str, company_id: int) -> None:
    await session.execute(text(statement), {"company": company_id})
