"""``GET /api/v1/reports``: leads, calls, money and submissions over a date range, grouped by
time, attribution, campaign, buyer, state or status, as JSON or streamed CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from leadflow.db.session import ReadSessionDep
from leadflow.kit import envelope
from leadflow.kit.auth import READ, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.reports import service
from leadflow.reports.auctions import AuctionReportOut, buyer_rows, parse_auction_query, totals_of
from leadflow.reports.pending import folded_read_session
from leadflow.reports.repository import ReportRepository
from leadflow.reports.schemas import ReportOut, parse_query
from leadflow.reports.shaping import DIMENSIONS, METRICS

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Reader = Annotated[Principal, Depends(require("reports", READ))]


async def report_session(request: Request, principal: Reader) -> AsyncIterator[AsyncSession]:
    """The report's read session, once the caller's company's new leads are counted."""
    async with folded_read_session(request, principal.company_id) as session:
        yield session


ReportSessionDep = Annotated[AsyncSession, Depends(report_session)]
Text = Annotated[str | None, Query()]
From = Annotated[
    str | None,
    Query(
        alias="from",
        description="YYYY-MM-DD in the company's time zone (inclusive), or an RFC 3339 "
        "time. Default: today.",
    ),
]
To = Annotated[
    str | None,
    Query(description="As ``from``; inclusive. Default: today (or ``from``'s day, if later)."),
]


@router.get("", summary="Report", **envelope.documented("report", ReportOut))
async def get_report(
    request: Request,
    principal: Reader,
    session: ReportSessionDep,
    clock: ClockDep,
    from_: From = None,
    to: To = None,
    group_by: Annotated[
        str | None, Query(description=f"Comma list of {', '.join(DIMENSIONS)}.")
    ] = None,
    metrics: Annotated[
        str | None, Query(description=f"Comma list of {', '.join(METRICS)}; default all.")
    ] = None,
    traffic_source_id: Text = None,
    sub_id: Text = None,
    schedule_id: Text = None,
    offer_id: Text = None,
    campaign_id: Text = None,
    order: Annotated[
        str | None, Query(description="Any metric (shown or not), or a dimension grouped by.")
    ] = None,
    order_dir: Annotated[str | None, Query(description="asc or desc.")] = None,
    page: Text = None,
    per_page: Annotated[str | None, Query(description="Groups per page (at most 1000).")] = None,
    format: Annotated[str | None, Query(description="json (default) or csv.")] = None,
) -> Response:
    """One row per group with each metric, the totals, and the resolved range and zone in
    ``metadata``. Read from hourly counters, never from the lead tables (docs/reports.md)."""
    repo = ReportRepository(session, principal.company_id)
    zone = service.company_zone(await repo.company_time_zone())
    query = parse_query(request.query_params.multi_items(), zone, clock.now())
    if not query.csv and service.pageable_in_sql(query):
        report = await service.build_page(repo, query)
    else:
        report = await service.build(repo, query)
    if query.csv:
        return StreamingResponse(
            service.csv_lines(query, report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="report.csv"'},
        )
    body = {"rows": report.page(query.page, query.per_page), "totals": report.totals}
    return envelope.one("report", body, metadata=service.metadata(query, report))


@router.get(
    "/auctions",
    summary="Ping/post buyers",
    **envelope.documented("report", AuctionReportOut),
)
async def get_auction_report(
    request: Request,
    principal: Reader,
    session: ReadSessionDep,
    clock: ClockDep,
    from_: From = None,
    to: To = None,
    campaign_id: Annotated[
        str | None, Query(description="Only the auctions of this ping/post campaign.")
    ] = None,
) -> Response:
    """Each ping/post buyer's pings, bids, wins, win rate and revenue in the range, most
    revenue first, with the totals; ``metadata`` has the resolved range and zone."""
    repo = ReportRepository(session, principal.company_id)
    zone = service.company_zone(await repo.company_time_zone())
    query = parse_auction_query(request.query_params.multi_items(), zone, clock.now())
    rows = await buyer_rows(repo, query)
    metadata = {**service.range_metadata(query.start, query.end, zone), "total_count": len(rows)}
    return envelope.one("report", {"rows": rows, "totals": totals_of(rows)}, metadata=metadata)
