"""``GET /api/v1/reports``: its parameters, read and checked in one place, and its answer's
documented shape."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import UNKNOWN
from leadflow.kit.values import parse_time
from leadflow.reports.repository import CounterFilter
from leadflow.reports.shaping import DIMENSIONS, METRICS

MAX_DAYS = 370
_UNENCODED_PLUS = re.compile(r"T\d\d:\d\d(:\d\d(\.\d+)?)? \d\d:?\d\d$")
MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 100
MAX_ID = 2**63 - 1
FILTERS = ("traffic_source_id", "sub_id", "schedule_id", "offer_id", "campaign_id")
PARAMS = frozenset(
    {
        "from",
        "to",
        "group_by",
        "metrics",
        "order",
        "order_dir",
        "page",
        "per_page",
        "format",
        *FILTERS,
        # Sent by TrackDrive clients on every request (credentials in the query string).
        "auth_token",
        "lead_token",
    }
)


@dataclass(frozen=True)
class ReportQuery:
    """A checked report request: the range as UTC instants (``end`` exclusive, both on the
    hour), what to group by, what to show, and how to page and order."""

    start: datetime
    end: datetime
    zone: ZoneInfo
    group_by: tuple[str, ...] = ()
    metrics: tuple[str, ...] = METRICS
    narrowed: CounterFilter = field(default_factory=CounterFilter)
    order: str | None = None
    descending: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    csv: bool = False

    @property
    def summed(self) -> tuple[str, ...]:
        """The metrics the report needs: those shown, and the one it is ordered by (a report
        may be ordered by a metric it does not show)."""
        if self.order in METRICS and self.order not in self.metrics:
            return (*self.metrics, self.order)
        return self.metrics


def _names(
    text: str, allowed: Sequence[str], param: str, errors: dict[str, list[str]]
) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    bad = [name for name in names if name not in allowed]
    if bad:
        errors[param] = [f"{', '.join(bad)} is not allowed; allowed: {', '.join(allowed)}"]
    return names


def _bound(text: str, zone: ZoneInfo, is_end: bool) -> datetime:
    """A local date (its midnight; the day after for ``to``, which is inclusive) or an
    instant, rounded out to the hour (counters are hourly)."""
    text = text.strip()
    if _UNENCODED_PLUS.search(text):
        # ``+05:00`` sent unencoded in a query string arrives as `` 05:00``.
        text = text[:-6] + "+" + text[-5:] if text[-3] == ":" else text[:-5] + "+" + text[-4:]
    if len(text) == 10:
        day = date.fromisoformat(text)
        if is_end:
            day += timedelta(days=1)
        return datetime.combine(day, time(), zone)
    instant = parse_time(text)
    floor = instant.replace(minute=0, second=0, microsecond=0)
    return floor + timedelta(hours=1) if is_end else floor


def read_params(
    params: Sequence[tuple[str, str]], allowed: frozenset[str], errors: dict[str, list[str]]
) -> dict[str, str]:
    """The query string as a dict (the last value of a repeated name), every name outside
    ``allowed`` named in ``errors``: a mistyped filter never silently reports everything."""
    sent: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            errors[name] = [UNKNOWN]
        sent[name] = value
    return sent


def read_int(
    text: str, param: str, low: int, high: int, errors: dict[str, list[str]]
) -> int | None:
    try:
        value = int(text)
    except ValueError:
        errors[param] = ["must be a whole number"]
        return None
    if not low <= value <= high:
        errors[param] = [f"must be between {low} and {high}"]
        return None
    return value


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""What a bound may be (a report of the year 1 or 9999 would only overflow the clock)."""
OUT_OF_RANGE = "must be between 1970-01-01 and 8999-12-31"


def read_range(
    sent: dict[str, str], zone: ZoneInfo, now: datetime, errors: dict[str, list[str]]
) -> dict[str, datetime]:
    """``from`` and ``to`` as UTC instants on the hour (``to`` exclusive), as every report
    reads them; a bad one is named in ``errors`` and missing from the answer.

    Each defaults to today in the company's zone, so ``from`` alone reports from then until
    today; when the one sent lies beyond today (``from`` a day to come, ``to`` a day gone),
    the other takes its value, so it names that one day (or hour) rather than an empty range.
    """
    today = now.astimezone(zone).date().isoformat()
    bounds: dict[str, datetime] = {}
    for name in ("from", "to"):
        try:
            bound = _bound(sent.get(name) or today, zone, name == "to").astimezone(UTC)
        except OverflowError:
            errors[name] = [OUT_OF_RANGE]
            continue
        except ValueError:
            errors[name] = ["must be a date (YYYY-MM-DD) or an RFC 3339 time"]
            continue
        if not EARLIEST <= bound <= LATEST:
            errors[name] = [OUT_OF_RANGE]
            continue
        bounds[name] = bound
    if "from" in bounds and "to" in bounds and bounds["to"] <= bounds["from"]:
        if not sent.get("to"):
            bounds["to"] = _bound(sent["from"], zone, True).astimezone(UTC)
        elif not sent.get("from"):
            bounds["from"] = _bound(sent["to"], zone, False).astimezone(UTC)
        else:
            errors["to"] = ["must not be before from"]
    span = bounds["to"] - bounds["from"] if "from" in bounds and "to" in bounds else None
    if span is not None and span > timedelta(days=MAX_DAYS):
        errors["to" if sent.get("to") else "from"] = [f"the range may span at most {MAX_DAYS} days"]
    return bounds


def parse_query(params: Sequence[tuple[str, str]], zone: ZoneInfo, now: datetime) -> ReportQuery:
    """Read the query string; 422 naming every bad or unknown parameter."""
    errors: dict[str, list[str]] = {}
    sent = read_params(params, PARAMS, errors)
    bounds = read_range(sent, zone, now, errors)
    group_by = _names(sent.get("group_by", ""), DIMENSIONS, "group_by", errors)
    metrics = _names(sent.get("metrics", ""), METRICS, "metrics", errors) or METRICS
    order = sent.get("order", "").strip() or None
    if order is not None and order not in (*group_by, *METRICS):
        errors["order"] = [
            f"{order} is not allowed; allowed: any metric, or a dimension grouped by"
            f" ({', '.join(group_by) or 'none'})"
        ]
    order_dir = sent.get("order_dir", "asc").strip().lower() or "asc"
    if order_dir not in ("asc", "desc"):
        errors["order_dir"] = ["must be asc or desc"]
    fmt = sent.get("format", "json").strip().lower() or "json"
    if fmt not in ("json", "csv"):
        errors["format"] = ["must be json or csv"]
    page = read_int(sent.get("page", "1"), "page", 1, 1_000_000, errors)
    per_page = read_int(
        sent.get("per_page", str(DEFAULT_PER_PAGE)), "per_page", 1, MAX_PER_PAGE, errors
    )
    narrowed: dict[str, Any] = {}
    for name in FILTERS:
        raw = sent.get(name, "").strip()
        if not raw:
            continue
        if name == "sub_id":
            narrowed[name] = raw.replace("\x00", "")
        else:
            narrowed[name] = read_int(raw, name, 1, MAX_ID, errors)
    if errors:
        raise TrackDriveError.invalid(errors)
    return ReportQuery(
        start=bounds["from"],
        end=bounds["to"],
        zone=zone,
        group_by=group_by,
        metrics=metrics,
        narrowed=CounterFilter(**narrowed),
        order=order,
        descending=order_dir == "desc",
        page=page or 1,
        per_page=per_page or DEFAULT_PER_PAGE,
        csv=fmt == "csv",
    )


class ReportOut(BaseModel):
    """One object per group: each dimension asked for (``{"id", "name"}`` for a traffic
    source, schedule, offer, campaign or buyer; plain values for ``sub_id``, ``state``,
    ``status`` and the time buckets), then each metric. ``totals`` sums every group."""

    rows: list[dict[str, Any]] = Field(
        examples=[[{"traffic_source": {"id": 3, "name": "Google"}, "leads": 12, "revenue": 40.5}]]
    )
    totals: dict[str, float | int] = Field(examples=[{"leads": 12, "revenue": 40.5}])
