"""A report: counter sums from the repository, shaped by :mod:`leadflow.reports.shaping`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.kit.errors import TrackDriveError
from leadflow.reports import shaping
from leadflow.reports.repository import DIMENSION_COLUMN, ReportRepository
from leadflow.reports.schemas import ReportQuery

MAX_GROUPS = 100_000


@dataclass(frozen=True)
class Report:
    """Every group of the report in order (paging is the caller's), and their totals."""

    rows: list[dict[str, Any]]
    totals: dict[str, int | float]

    def page(self, number: int, per_page: int) -> list[dict[str, Any]]:
        return self.rows[(number - 1) * per_page : number * per_page]


def company_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def metadata(query: ReportQuery, report: Report) -> dict[str, Any]:
    """The resolved range (``to`` is the end, exclusive) and zone, and the paging."""
    count = len(report.rows)
    return {
        "from": query.start.astimezone(query.zone).isoformat(),
        "to": query.end.astimezone(query.zone).isoformat(),
        "time_zone": query.zone.key,
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
    found = await repo.sums(columns, by_hour, query.start, query.end, query.narrowed)
    groups = shaping.group(
        ((row.hour, dict(zip(stored, row.keys, strict=True)), row.sums) for row in found),
        query.group_by,
        query.zone,
    )
    series = {
        d: shaping.time_buckets(query.start, query.end, d, query.zone)
        for d in query.group_by
        if d in shaping.TIME_DIMENSIONS
    }
    groups = shaping.zero_filled(groups, query.group_by, series)
    if len(groups) > MAX_GROUPS:
        raise TrackDriveError.field(
            "group_by", f"more than {MAX_GROUPS} groups; narrow the range or the grouping"
        )
    if not query.group_by:
        groups = groups or {(): shaping.zero()}
    names = await _names(repo, query.group_by, groups)
    totals = shaping.zero()
    rows = []
    for key, sums in groups.items():
        shaping.add(totals, sums)
        row = {
            d: shaping.dimension_value(d, value, names)
            for d, value in zip(query.group_by, key, strict=True)
        }
        rows.append({**row, **shaping.metric_values(sums, query.metrics)})
    if query.order is not None:
        rows = shaping.ordered(rows, query.order, query.descending)
    else:
        for dimension in reversed(query.group_by):
            rows = shaping.ordered(rows, dimension, False)
    return Report(rows=rows, totals=shaping.metric_values(totals, query.metrics))


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


def csv_lines(query: ReportQuery, report: Report) -> Iterator[str]:
    """Every group (the pages together), sent a block of lines at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header(query))
    for row in report.rows:
        writer.writerow(csv_cells(query, row))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
