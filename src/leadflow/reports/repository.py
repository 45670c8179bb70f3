"""Report queries: sums over ``report_counters``, its roll-up and blocks, and names for ids.
What writes the counters (the rebuild, the fold of new leads) is in ``counts_repository``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, case, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from leadflow.models import (
    AuctionBid,
    Campaign,
    Company,
    Offer,
    ReportCounter,
    ReportSourceBlock,
    ReportTotal,
    Schedule,
    TrafficSource,
)
from leadflow.models.report_counter import METRIC_COLUMNS
from leadflow.reports.blocks import Part, blocks, hour_instant, hour_number

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
BY_SOURCE = frozenset({"traffic_source_id", "sub_id"})
"""The columns ``report_source_blocks`` keeps: a report grouped and filtered by these alone sums
blocks of hours there (see :func:`blocks`)."""
FILTERS = ("traffic_source_id", "sub_id", "schedule_id", "offer_id", "campaign_id")

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
        ``report_totals`` answers (at most 192 rows a day); otherwise the rows of
        :meth:`_summed` (the counters, or the daily roll-up and the counters)."""
        if columns or narrowed != CounterFilter():
            table: Any = self._summed(columns, by_hour, start, end, narrowed, metrics).c
            where: list[Any] = []
        else:
            table = ReportTotal
            where = [table.company_id == self.company_id, table.hour >= start, table.hour < end]
        keys: list[Any] = [getattr(table, name) for name in columns]
        # No value is stored as 0 or '' (a key column can't hold NULL); it reads as None.
        shown = [func.nullif(key, "" if name in TEXT_COLUMNS else 0) for name, key in
                 zip(columns, keys, strict=True)]  # fmt: skip
        if by_hour:
            keys.insert(0, table.hour)
            shown.insert(0, table.hour)
        sums = [func.sum(getattr(table, name)) for name in metrics]
        stmt = select(*shown, *sums).where(*where)
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
        pg = self.session.get_bind().dialect.name == "postgresql"
        stored = [DIMENSION_COLUMN[d] for d in dimensions]
        summed = self._summed(stored, False, start, end, narrowed, metrics).c
        # Grouped first, then named: a name is looked up once a group, not once a row.
        keys = [getattr(summed, name) for name in stored]
        added = [func.sum(getattr(summed, name)) for name in metrics]
        grouped = (
            select(*keys, *(total.label(name) for name, total in zip(metrics, added, strict=True)))
            .group_by(*keys)
            .having(or_(*(total != 0 for total in added)))
            .subquery()
        )
        columns = [getattr(grouped.c, name) for name in stored]
        sums = {name: getattr(grouped.c, name) for name in metrics}
        sort_keys: dict[str, list[Any]] = {}
        stmt = select(
            *[
                func.nullif(c, "" if d in TEXT_COLUMNS else 0)
                for d, c in zip(dimensions, columns, strict=True)
            ],
            *sums.values(),
            # The totals ride on the page: one pass over the rows rather than two.
            *(func.sum(total).over() for total in sums.values()),
            func.count().over(),
        ).select_from(grouped)
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
                sort_keys[dimension] = [missing, name.collate("C") if pg else name, column]
            else:
                text_key = column.collate("C") if pg and dimension in TEXT_COLUMNS else column
                sort_keys[dimension] = [missing, text_key]
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
        width, summed_to = len(dimensions), len(dimensions) + len(metrics)
        found = (await self.session.execute(stmt)).all()
        total: Sequence[Any]
        if found:
            count, total = int(found[0][-1]), found[0][summed_to:-1]
        else:
            # A page past the last: the groups counted and summed on their own.
            everything = select(func.count(), *(func.sum(v) for v in sums.values()))
            counted, *total = (await self.session.execute(everything.select_from(grouped))).one()
            count = int(counted or 0)
        rows = [
            CounterRow(
                hour=None,
                keys=tuple(values[:width]),
                sums={
                    n: int(v or 0) for n, v in zip(metrics, values[width:summed_to], strict=True)
                },
            )
            for values in found
        ]
        return rows, count, {n: int(v or 0) for n, v in zip(metrics, total, strict=True)}

    def _summed(
        self,
        columns: Sequence[str],
        with_hour: bool,
        start: datetime,
        end: datetime,
        narrowed: CounterFilter,
        metrics: Sequence[str],
    ) -> Any:
        """The rows a report sums, already narrowed to the company, range and filter (a
        subquery with the ``columns``, ``hour`` when ``with_hour``, and the ``metrics``).
        Grouped and filtered by traffic source and sub ID alone, the range is read as blocks
        of ``report_source_blocks`` and hours of the counters, each added or taken away
        (:func:`blocks`: under twenty parts for 370 days, far below SQLite's 500 for a
        compound SELECT), else from the counters alone. A group summing to nothing (a sub
        ID seen only where a block overshoots) is left out where groups are summed."""
        names = [*columns, *metrics]
        filters = {name for name in FILTERS if getattr(narrowed, name) is not None}
        if with_hour or not set(columns) | filters <= BY_SOURCE:
            hourly = ["hour", *names] if with_hour else names
            return self._rows(ReportCounter, hourly, start, end, narrowed).subquery()
        parts = blocks(hour_number(start), hour_number(end))
        if not parts:
            return self._rows(ReportCounter, names, start, end, narrowed).subquery()
        read = [self._part(part, columns, metrics, narrowed) for part in parts]
        return union_all(*read).subquery()

    def _part(
        self,
        part: Part,
        columns: Sequence[str],
        metrics: Sequence[str],
        narrowed: CounterFilter,
    ) -> Any:
        """One part of a range (:func:`blocks`): an hour of the counters or a block, its sums
        negated when it is taken away."""
        if part.span == 1:
            table: Any = ReportCounter
            where = [
                table.hour >= hour_instant(part.first),
                table.hour < hour_instant(part.first + 1),
            ]
        else:
            table = ReportSourceBlock
            where = [table.span_hours == part.span, table.first_hour == part.first]
        sums = [getattr(table, name) for name in metrics]
        if part.sign < 0:
            sums = [(-column).label(name) for name, column in zip(metrics, sums, strict=True)]
        stmt = select(*(getattr(table, name) for name in columns), *sums).where(
            table.company_id == self.company_id, *where
        )
        return _filtered(stmt, table, narrowed)

    def _rows(
        self,
        table: Any,
        names: Sequence[str],
        start: datetime,
        end: datetime,
        narrowed: CounterFilter,
    ) -> Any:
        stmt = select(*(getattr(table, name) for name in names)).where(
            table.company_id == self.company_id, table.hour >= start, table.hour < end
        )
        return _filtered(stmt, table, narrowed)

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


def _filtered(stmt: Any, table: Any, narrowed: CounterFilter) -> Any:
    for name in FILTERS:
        wanted = getattr(narrowed, name)
        if wanted is not None:
            stmt = stmt.where(getattr(table, name) == wanted)
    return stmt
