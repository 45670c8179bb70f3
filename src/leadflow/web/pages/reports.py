"""The Reports page: a date preset (in the company's zone), one or two groupings, a table
with totals and sortable columns, drill-down from a traffic source to its sub IDs, a time
series and a bar chart by the first grouping, and the CSV of what is shown. It reads the
same service as ``GET /api/v1/reports``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.reports import service
from leadflow.reports.auctions import AuctionQuery, buyer_rows, totals_of
from leadflow.reports.pending import folded_read_session
from leadflow.reports.repository import ReportRepository
from leadflow.reports.schemas import ReportQuery, parse_query
from leadflow.reports.service import Report
from leadflow.reports.shaping import NAMED_DIMENSIONS, TIME_DIMENSIONS
from leadflow.web.auth import UserDep
from leadflow.web.chart import Point, bar_chart, series_chart
from leadflow.web.rendering import page

router = APIRouter(include_in_schema=False)


async def report_session(request: Request, user: UserDep) -> AsyncIterator[AsyncSession]:
    """The page's read session, once the user's company's new leads are counted."""
    async with folded_read_session(request, user.company_id) as session:
        yield session


ReportSessionDep = Annotated[AsyncSession, Depends(report_session)]

PRESETS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "last_7_days": "Last 7 days",
    "this_month": "This month",
    "last_month": "Last month",
    "custom": "Custom",
}
GROUPINGS = {
    "traffic_source": "Traffic source",
    "sub_id": "Sub ID",
    "schedule": "Schedule",
    "offer": "Offer",
    "campaign": "Campaign",
    "buyer": "Buyer",
    "state": "State",
    "status": "Submission status",
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "hour": "Hour",
}
SHOWN = {
    "leads": "Leads",
    "duplicates": "Duplicates",
    "calls": "Calls",
    "connected_calls": "Connected",
    "converted_calls": "Converted",
    "revenue": "Revenue",
    "payout": "Payout",
    "profit": "Profit",
    "conversion_rate": "Conv. rate",
    "revenue_per_lead": "Rev./lead",
    "submissions": "Submissions",
    "submissions_delivered": "Delivered",
}
MONEY = ("revenue", "payout", "profit", "revenue_per_lead")


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) a preset names, from today in the company's zone."""
    if preset == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset == "last_7_days":
        return today - timedelta(days=6), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return today, today


def series_tick(bucket: str) -> str:
    """An hour's ``13:00``, a day's ``Dec 05``: short enough for five under a phone's chart."""
    if len(bucket) > 10:
        return bucket[-5:]
    return f"{date.fromisoformat(bucket):%b %d}"


def shown(metric: str, value: Any) -> str:
    if metric in MONEY:
        return f"${value:,.2f}"
    if metric == "conversion_rate":
        return f"{value * 100:.1f} %"
    return f"{value:,}"


def label(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["name"] or value["id"] or "none")
    return "none" if value is None else str(value)


def _choices(request: Request, today: date) -> dict[str, str]:
    """The page's own parameters, with defaults, as the API's (``from``, ``to`` ...)."""
    q = request.query_params
    preset = q.get("preset", "today") if q.get("preset") in PRESETS else "today"
    if q.get("shown") and f"{q.get('from')}/{q.get('to')}" != q["shown"]:
        # The form's dates were changed (``shown`` is what the page showed): they win over a
        # preset left as it was, with no script to switch it to Custom.
        preset = "custom"
    first, last = preset_range(preset, today)
    custom = preset == "custom"
    choice = {
        "preset": preset,
        "from": q.get("from") or first.isoformat() if custom else first.isoformat(),
        "to": q.get("to") or last.isoformat() if custom else last.isoformat(),
        "group_by": q.get("group_by", "traffic_source"),
        "then_by": q.get("then_by", ""),
        "order": q.get("order", ""),
        "order_dir": q.get("order_dir", "desc"),
        "traffic_source_id": q.get("traffic_source_id", ""),
    }
    return choice


def _api_params(choice: dict[str, str], csv_format: bool = False) -> list[tuple[str, str]]:
    groups = [g for g in (choice["group_by"], choice["then_by"]) if g]
    params = [
        ("from", choice["from"]),
        ("to", choice["to"]),
        ("group_by", ",".join(dict.fromkeys(groups))),
        ("metrics", ",".join(SHOWN)),
        ("per_page", "1000"),
    ]
    if choice["order"]:
        params += [("order", choice["order"]), ("order_dir", choice["order_dir"])]
    if choice["traffic_source_id"]:
        params.append(("traffic_source_id", choice["traffic_source_id"]))
    if csv_format:
        params.append(("format", "csv"))
    return params


async def _report(
    request: Request, user: UserDep, db: ReportSessionDep, now: datetime, csv_format: bool = False
) -> tuple[ReportRepository, ReportQuery, Report, dict[str, str], dict[str, list[str]]]:
    """The report the page's choices name; when the API would refuse it (a bad range, too
    many groups), today's totals, with the reasons to show above them."""
    repo = ReportRepository(db, user.company_id)
    zone = service.company_zone(await repo.company_time_zone())
    today = now.astimezone(zone).date().isoformat()
    choice = _choices(request, now.astimezone(zone).date())
    try:
        query = parse_query(_api_params(choice, csv_format), zone, now)
        return repo, query, await service.build(repo, query), choice, {}
    except TrackDriveError as error:
        choice.update(preset="today", group_by="", then_by="", order="", traffic_source_id="")
        choice.update({"from": today, "to": today})
        query = parse_query(_api_params(choice, csv_format), zone, now)
        return repo, query, await service.build(repo, query), choice, error.errors


@router.get("/reports")
async def reports_page(
    request: Request, user: UserDep, db: ReportSessionDep, clock: ClockDep
) -> Response:
    repo, query, report, choice, errors = await _report(request, user, db, clock.now())
    series_dim = "hour" if query.end - query.start <= timedelta(days=2) else "day"
    series_query = ReportQuery(
        start=query.start,
        end=query.end,
        zone=query.zone,
        group_by=(series_dim,),
        metrics=("leads",),
        narrowed=query.narrowed,
    )
    series = await service.build(repo, series_query)
    buyers = await buyer_rows(repo, AuctionQuery(query.start, query.end, query.zone))
    first = query.group_by[0] if query.group_by else None
    chart_metric = query.order if query.order in SHOWN else "leads"
    bar_points = []
    if first is not None and first not in TIME_DIMENSIONS:
        by_value = sorted(report.rows, key=lambda r: r[chart_metric], reverse=True)[:12]
        bar_points = [
            Point(label(r[first]), float(r[chart_metric]), shown(chart_metric, r[chart_metric]))
            for r in by_value
        ]

    def link(**changes: str) -> str:
        return "/reports?" + urlencode({**choice, **changes})

    drill = {}
    if first == "traffic_source":
        for row in report.rows:
            source = row["traffic_source"]
            if source["id"] is not None:
                drill[source["id"]] = link(
                    group_by="sub_id", then_by="", traffic_source_id=str(source["id"]), order=""
                )
    sorts = {
        column: link(
            order=column,
            order_dir="asc"
            if choice["order"] == column and choice["order_dir"] == "desc"
            else "desc",
        )
        for column in (*query.group_by, *SHOWN)
    }
    return page(
        request,
        "reports/index.html",
        status_code=422 if errors else 200,
        user=user,
        errors=errors,
        choice=choice,
        presets=PRESETS,
        groupings=GROUPINGS,
        columns=[(d, GROUPINGS.get(d, d)) for d in query.group_by],
        metrics=SHOWN,
        rows=report.rows,
        totals=report.totals,
        buyers=buyers,
        buyer_totals=totals_of(buyers),
        shown=shown,
        label=label,
        drill=drill,
        sorts=sorts,
        named=NAMED_DIMENSIONS,
        csv_link="/reports.csv?" + urlencode(choice),
        zone=query.zone.key,
        start=query.start.astimezone(query.zone),
        end=(query.end - timedelta(seconds=1)).astimezone(query.zone),
        time_series=series_chart(
            [
                Point(
                    str(r[series_dim]),
                    float(r["leads"]),
                    shown("leads", r["leads"]),
                    tick=series_tick(str(r[series_dim])),
                )
                for r in series.rows
            ],
            f"Leads per {series_dim}",
            "leads",
        ),
        bars=bar_chart(
            bar_points,
            f"{SHOWN[chart_metric]} by {GROUPINGS.get(first or '', '')}",
            SHOWN[chart_metric].lower(),
        )
        if bar_points
        else None,
    )


@router.get("/reports.csv")
async def reports_csv(
    request: Request, user: UserDep, db: ReportSessionDep, clock: ClockDep
) -> Response:
    """What the page shows, as CSV (the API's columns)."""
    _repo, query, report, _choice, _errors = await _report(
        request, user, db, clock.now(), csv_format=True
    )

    return StreamingResponse(
        service.csv_lines(query, report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="report.csv"'},
    )
