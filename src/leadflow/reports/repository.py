"""Report queries: sums over ``report_counters``, names for ids, and the rebuild from the
raw tables (``leadflow reports rebuild``, and the benchmark's "straight off the tables")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from leadflow.models import (
    AuctionBid,
    Campaign,
    Company,
    Offer,
    ReportCounter,
    ReportTotal,
    Schedule,
    TrafficSource,
)
from leadflow.models.report_counter import METRIC_COLUMNS

# The rebuild's SQL, named here too: migration 0009 and the benchmark import it from here.
from leadflow.reports.recount_sql import hour_sql as hour_sql
from leadflow.reports.recount_sql import rebuild_statements as rebuild_statements
from leadflow.reports.recount_sql import state_sql as state_sql

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
TEXT_COLUMNS = frozenset({"sub_id", "buyer", "state"})

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


class CounterRow(NamedTuple):
    """One group as the database sums it: ``hour`` (when grouped by time), the dimension
    columns asked for (``None`` for no value), and the metric columns asked for."""

    hour: datetime | None
    keys: tuple[Any, ...]
    sums: dict[str, int]


BID_OUTCOMES = ("bid", "fixed_price")
"""The ping outcomes that put a price on the lead (a fixed-price buyer bids its price)."""


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0), type_=Integer)


class ReportRepository:
    def __init__(self, session: AsyncSession, company_id: int) -> None:
        self.session = session
        self.company_id = company_id

    async def company_time_zone(self) -> str:
        zone = await self.session.scalar(
            select(Company.time_zone).where(Company.id == self.company_id)
        )
        return zone or "UTC"

    async def auction_buyers(
        self, start: datetime, end: datetime, auction_campaign_id: int | None
    ) -> list[Mapping[str, Any]]:
        """Each buyer campaign's seats in the auctions of ``[start, end)``, counted by what
        came of them (see :mod:`leadflow.reports.auctions`)."""
        priced = AuctionBid.outcome.in_(BID_OUTCOMES)
        stmt = (
            select(
                AuctionBid.buyer_campaign_id,
                Campaign.name,
                Campaign.code,
                func.count().label("auctions"),
                _count(AuctionBid.outcome != "fixed_price").label("pings"),
                _count(priced).label("bids"),
                _count(AuctionBid.outcome == "no_bid").label("no_bids"),
                _count(AuctionBid.outcome == "below_floor").label("below_floor"),
                _count(AuctionBid.outcome.in_(("timeout", "late"))).label("late"),
                _count(AuctionBid.outcome.in_(("error", "refused"))).label("errors"),
                _count(AuctionBid.post_outcome.is_not(None)).label("posts"),
                _count(AuctionBid.won.is_(True)).label("won"),
                func.sum(case((AuctionBid.won.is_(True), AuctionBid.bid), else_=0.0)).label(
                    "revenue"
                ),
                func.avg(case((priced, AuctionBid.bid))).label("average_bid"),
            )
            .join(Campaign, Campaign.id == AuctionBid.buyer_campaign_id)
            .where(
                AuctionBid.company_id == self.company_id,
                AuctionBid.created_at >= start,
                AuctionBid.created_at < end,
            )
            .group_by(AuctionBid.buyer_campaign_id, Campaign.name, Campaign.code)
        )
        if auction_campaign_id is not None:
            stmt = stmt.where(AuctionBid.auction_campaign_id == auction_campaign_id)
        return [dict(row._mapping) for row in await self.session.execute(stmt)]

    async def sums(
        self,
        columns: Sequence[str],
        by_hour: bool,
        start: datetime,
        end: datetime,
        narrowed: CounterFilter,
        metrics: Sequence[str] = METRIC_COLUMNS,
    ) -> list[CounterRow]:
        """Sums of the ``metrics`` columns for ``start <= hour < end``, grouped in SQL by the
        columns (and the hour). With no column and no filter the hourly roll-up
        ``report_totals`` answers (at most 192 rows a day); otherwise ``report_counters``."""
        table: Any = ReportCounter if columns or narrowed != CounterFilter() else ReportTotal
        keys: list[Any] = [getattr(table, name) for name in columns]
        # No value is stored as 0 or '' (a key column can't hold NULL); it reads as None.
        shown = [func.nullif(key, "" if name in TEXT_COLUMNS else 0) for name, key in
                 zip(columns, keys, strict=True)]  # fmt: skip
        if by_hour:
            keys.insert(0, table.hour)
            shown.insert(0, table.hour)
        sums = [func.sum(getattr(table, name)) for name in metrics]
        stmt = self._narrowed(select(*shown, *sums), table, start, end, narrowed)
        if keys:
            stmt = stmt.group_by(*keys)
        width = len(keys)
        dims_from = 1 if by_hour else 0
        return [
            CounterRow(
                hour=values[0] if by_hour else None,
                keys=tuple(values[dims_from:width]),
                sums={n: int(v or 0) for n, v in zip(metrics, values[width:], strict=True)},
            )
            for values in await self.session.execute(stmt)
        ]

    async def page(
        self,
        dimensions: Sequence[str],
        start: datetime,
        end: datetime,
        narrowed: CounterFilter,
        metrics: Sequence[str],
        order: str | None,
        descending: bool,
        limit: int,
        offset: int,
    ) -> tuple[list[CounterRow], int, dict[str, int]]:
        """One page of the groups by stored dimensions (none folded), ordered, counted and
        paged by the database: (the page, how many groups there are, the totals). With 5,000
        sub IDs a report has tens of thousands of groups, and only a page of them leaves the
        database. Order as :func:`leadflow.reports.shaping.ordered_groups`: by each dimension
        (a named one by name, then id; no value last), then by ``order`` (a counted metric,
        ``revenue``, ``payout``, ``profit``, or a dimension)."""
        table = ReportCounter
        pg = self.session.get_bind().dialect.name == "postgresql"
        columns = [getattr(table, DIMENSION_COLUMN[d]) for d in dimensions]
        sums = {name: func.sum(getattr(table, name)) for name in metrics}
        group_by: list[Any] = list(columns)
        sort_keys: dict[str, list[Any]] = {}
        stmt = select(
            *[
                func.nullif(c, "" if d in TEXT_COLUMNS else 0)
                for d, c in zip(dimensions, columns, strict=True)
            ],
            *sums.values(),
            func.count().over(),
        )
        for dimension, column in zip(dimensions, columns, strict=True):
            missing = column == ("" if dimension in TEXT_COLUMNS else 0)
            if dimension in NAMED:
                id_column, name_column, company_column = NAMED[dimension]
                named = aliased(id_column.class_)
                name = func.coalesce(getattr(named, name_column.key), "")
                stmt = stmt.outerjoin(
                    named,
                    (getattr(named, id_column.key) == column)
                    & (getattr(named, company_column.key) == self.company_id),
                )
                group_by.append(getattr(named, name_column.key))
                sort_keys[dimension] = [missing, name.collate("C") if pg else name, column]
            else:
                text_key = column.collate("C") if pg and dimension in TEXT_COLUMNS else column
                sort_keys[dimension] = [missing, text_key]
        stmt = self._narrowed(stmt.select_from(table), table, start, end, narrowed)
        stmt = stmt.group_by(*group_by).having(or_(*(total != 0 for total in sums.values())))
        ordering: list[Any] = []
        if order in sort_keys:
            missing, *keys = sort_keys[order]
            ordering = [missing, *(k.desc() if descending else k for k in keys)]
        elif order is not None:
            value = _metric_sql(order, sums)
            ordering = [value.desc() if descending else value]
        for dimension in dimensions:
            ordering += sort_keys[dimension]
        stmt = stmt.order_by(*ordering).limit(limit).offset(offset)
        width = len(dimensions)
        found = (await self.session.execute(stmt)).all()
        count = int(found[0][-1]) if found else 0
        if not found and offset:
            grouped = stmt.limit(None).offset(None).order_by(None).subquery()
            count = int(await self.session.scalar(select(func.count()).select_from(grouped)) or 0)
        rows = [
            CounterRow(
                hour=None,
                keys=tuple(values[:width]),
                sums={n: int(v or 0) for n, v in zip(metrics, values[width:-1], strict=True)},
            )
            for values in found
        ]
        totals = select(*sums.values())
        total = (
            await self.session.execute(
                self._narrowed(totals.select_from(table), table, start, end, narrowed)
            )
        ).one()
        return rows, count, {n: int(v or 0) for n, v in zip(metrics, total, strict=True)}

    def _narrowed(
        self, stmt: Any, table: Any, start: datetime, end: datetime, narrowed: CounterFilter
    ) -> Any:
        stmt = stmt.where(
            table.company_id == self.company_id, table.hour >= start, table.hour < end
        )
        for name in ("traffic_source_id", "sub_id", "schedule_id", "offer_id", "campaign_id"):
            wanted = getattr(narrowed, name)
            if wanted is not None:
                stmt = stmt.where(getattr(table, name) == wanted)
        return stmt

    async def names(self, dimension: str, ids: Sequence[int]) -> dict[int, str]:
        if dimension not in NAMED or not ids:
            return {}
        id_column, name_column, company_column = NAMED[dimension]
        stmt = select(id_column, name_column).where(
            company_column == self.company_id, id_column.in_(sorted(set(ids)))
        )
        return {int(i): str(n) for i, n in (await self.session.execute(stmt)).all()}


SQL_ORDERED_METRICS = frozenset(
    {
        "leads",
        "duplicates",
        "opt_outs",
        "calls",
        "connected_calls",
        "converted_calls",
        "sms",
        "emails",
        "revenue",
        "payout",
        "profit",
        "submissions",
        "submissions_delivered",
        "submissions_rejected",
        "submissions_disqualified",
        "submissions_duplicate",
        "submissions_error",
    }
)
"""Metrics the database can order groups by exactly as the report shows them (the ratios
are rounded in Python, so a report ordered by them is ordered in Python)."""


def _metric_sql(metric: str, sums: Mapping[str, Any]) -> Any:
    if metric in ("revenue", "payout"):
        return sums[f"{metric}_cents"]
    if metric == "profit":
        return sums["revenue_cents"] - sums["payout_cents"]
    return sums[metric]


async def company_ids(session: AsyncSession) -> list[int]:
    return [int(i) for i in (await session.scalars(select(Company.id).order_by(Company.id)))]


async def clear_counters(session: AsyncSession, company_id: int) -> None:
    """Delete the company's counters, then its roll-up (which the first delete has taken to
    zero unless it was damaged): the recount that follows rolls up afresh."""
    for table in ("report_counters", "report_totals"):
        await session.execute(
            text(f"DELETE FROM {table} WHERE company_id = :company"), {"company": company_id}
        )


async def recount(session: AsyncSession, statement: str, company_id: int) -> None:
    await session.execute(text(statement), {"company": company_id})
