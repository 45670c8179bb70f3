"""A report: counter sums from the repository, shaped by :mod:`leadflow.reports.shaping`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.kit.csv_writer import CsvChunks
from leadflow.kit.errors import TrackDriveError
from leadflow.reports import shaping
from leadflow.reports.repository import (
    DIMENSION_COLUMN,
    SQL_ORDERED_METRICS,
    ReportRepository,
)
from leadflow.reports.schemas import ReportQuery
from leadflow.reports.shaping import Key

MAX_GROUPS = 100_000


class Report:
    """Every group of the report in order, and their totals. A row (names, dollars) is built
    only when it is read: a page builds its own rows, the CSV and the web page all of them."""

    def __init__(
        self,
        groups: list[tuple[Key, shaping.Sums]],
        totals: dict[str, int | float],
        query: ReportQuery,
        names: dict[str, dict[Any, str]],
        count: int | None = None,
    ) -> None:
        self.groups = groups
        self.totals = totals
        self.query = query
        self.names = names
        # Set when ``groups`` is already the query's page (the database paged it).
        self.paged_count = count

    def row(self, key: Key, sums: shaping.Sums) -> dict[str, Any]:
        row = {
            d: shaping.dimension_value(d, value, self.names)
            for d, value in zip(self.query.group_by, key, strict=True)
        }
        row.update(shaping.metric_values(sums, self.query.metrics))
        return row

    @property
    def count(self) -> int:
        return len(self.groups) if self.paged_count is None else self.paged_count

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return [self.row(key, sums) for key, sums in self.groups]

    def page(self, number: int, per_page: int) -> list[dict[str, Any]]:
        groups = self.groups
        if self.paged_count is None:
            groups = groups[(number - 1) * per_page : number * per_page]
        return [self.row(key, sums) for key, sums in groups]


def company_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def range_metadata(start: datetime, end: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """The resolved range (``to`` is the end, exclusive) and zone, as every report states it."""
    return {
        "from": start.astimezone(zone).isoformat(),
        "to": end.astimezone(zone).isoformat(),
        "time_zone": zone.key,
    }


def metadata(query: ReportQuery, report: Report) -> dict[str, Any]:
    """The resolved range and zone, and the paging."""
    count = report.count
    return {
        **range_metadata(query.start, query.end, query.zone),
        "group_by": list(query.group_by),
        "metrics": list(query.metrics),
        "page": query.page,
        "per_page": query.per_page,
        "total_count": count,
        "total_pages": max(1, -(-count // query.per_page)),
    }


async def build(repo: ReportRepository, query: ReportQuery) -> Report:
    stored = [d for d in query.group_by if d in DIMENSION_COLUMN]
    columns = [DIMENSION_COLUMN[d] for d in stored]
    by_hour = any(d in shaping.TIME_DIMENSIONS for d in query.group_by)
    metrics = shaping.counter_columns(query.summed, query.group_by)
    found = await repo.sums(columns, by_hour, query.start, query.end, query.narrowed, metrics)
    groups = shaping.group(found, stored, query.group_by, query.zone)
    series = {
        d: shaping.time_buckets(query.start, query.end, d, query.zone)
        for d in query.group_by
        if d in shaping.TIME_DIMENSIONS
    }
    if shaping.filled_size(groups, query.group_by, series) > MAX_GROUPS:
        raise TrackDriveError.field(
            "group_by", f"more than {MAX_GROUPS} groups; narrow the range or the grouping"
        )
    groups = shaping.zero_filled(groups, query.group_by, series)
    if not query.group_by:
        groups = groups or {(): shaping.zero()}
    names = await _names(repo, query.group_by, groups)
    totals = shaping.zero()
    for column in metrics:
        totals[column] = sum(sums.get(column, 0) for sums in groups.values())
    ordered = shaping.ordered_groups(groups, query.group_by, names, query.order, query.descending)
    return Report(ordered, shaping.metric_values(totals, query.metrics), query, names)


def pageable_in_sql(query: ReportQuery) -> bool:
    """Whether the database can group, order and page this report by itself: its groups are
    counter columns as stored (no time bucket, state code, buyer host or status to fold) and
    its order is one SQL can reproduce. Only a page is then read; see ``build_page``."""
    return (
        bool(query.group_by)
        and not any(d in shaping.FOLDED_DIMENSIONS for d in query.group_by)
        and (
            query.order is None
            or query.order in query.group_by
            or query.order in SQL_ORDERED_METRICS
        )
    )


async def build_page(repo: ReportRepository, query: ReportQuery) -> Report:
    """The query's page only, grouped, ordered and paged by the database (the report's
    other groups are counted, never read): what ``GET /api/v1/reports`` answers when
    :func:`pageable_in_sql`. The same rows, in the same order, as ``build(...).page(...)``."""
    metrics = shaping.counter_columns(query.summed, query.group_by)
    found, count, sums = await repo.page(
        query.group_by,
        query.start,
        query.end,
        query.narrowed,
        metrics,
        query.order,
        query.descending,
        query.per_page,
        (query.page - 1) * query.per_page,
    )
    groups = {row.keys: row.sums for row in found}
    names = await _names(repo, query.group_by, groups)
    totals = shaping.zero()
    totals.update(sums)
    return Report(
        list(groups.items()), shaping.metric_values(totals, query.metrics), query, names, count
    )


async def _names(
    repo: ReportRepository, dimensions: tuple[str, ...], groups: dict[tuple[Any, ...], Any]
) -> dict[str, dict[Any, str]]:
    names: dict[str, dict[Any, str]] = {}
    for position, dimension in enumerate(dimensions):
        if dimension in ("traffic_source", "schedule", "offer", "campaign"):
            ids = [key[position] for key in groups if key[position] is not None]
            names[dimension] = dict(await repo.names(dimension, ids))
    return names


def csv_header(query: ReportQuery) -> list[str]:
    """Named dimensions take two columns (``traffic_source_id``, ``traffic_source``)."""
    header: list[str] = []
    for dimension in query.group_by:
        if dimension in shaping.NAMED_DIMENSIONS:
            header += [f"{dimension}_id", dimension]
        else:
            header.append(dimension)
    return header + list(query.metrics)


def csv_cells(query: ReportQuery, row: dict[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for dimension in query.group_by:
        value = row[dimension]
        if isinstance(value, dict):
            cells += [value["id"], value["name"]]
        else:
            cells.append(value)
    return cells + [row[metric] for metric in query.metrics]


def csv_lines(query: ReportQuery, report: Report) -> Iterator[bytes]:
    """Every group (the pages together), sent a chunk at a time by the one CSV writer of every
    export: a sub ID is whatever a publisher sent, so text a spreadsheet would run as a
    formula is written as text (``kit.csv_writer``)."""
    chunks = CsvChunks()
    chunks.add(csv_header(query))
    for key, sums in report.groups:
        chunk = chunks.add(csv_cells(query, report.row(key, sums)))
        if chunk:
            yield chunk
    yield chunks.flush()
