"""The dashboard: today's leads by schedule and traffic source, today's calls, the last 20
events and leads per day over seven days. "Today" starts at midnight in the company's zone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadflow.companies.repository import CompanyRepository
from leadflow.db.session import SessionDep
from leadflow.dnc.checks import dashboard_warning
from leadflow.kit.dependencies import ClockDep
from leadflow.models import Lead
from leadflow.schedules.repository import ScheduleRepository
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.web.auth import UserDep
from leadflow.web.chart import Point, series_chart
from leadflow.web.rendering import page
from leadflow.web.repository import WebRepository

router = APIRouter(include_in_schema=False)
DAYS = 7


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, OSError):
        return ZoneInfo("UTC")


def start_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def daily_points(times: Sequence[datetime], first_day: date, zone: ZoneInfo) -> list[Point]:
    """One bar per day of the company's calendar (seven readable bars, each with its count,
    where 168 hourly ones were a few pixels wide on a phone)."""
    per_day = Counter(moment.astimezone(zone).date() for moment in times)
    points = []
    for index in range(DAYS):
        day = first_day + timedelta(days=index)
        count = per_day.get(day, 0)
        points.append(Point(f"{day:%a %d %b}", float(count), str(count), tick=f"{day:%a %d}"))
    return points


@router.get("/")
async def dashboard(request: Request, user: UserDep, db: SessionDep, clock: ClockDep) -> Response:
    # First: the lists' refresh reads on a connection of its own (SQLite's pool holds one).
    dnc_warning = await dashboard_warning(request.app, clock.now())
    company = await CompanyRepository(db).get(user.company_id)
    zone = _zone(company.time_zone if company else None)
    now = clock.now()
    today = start_of_day(now, zone)
    reads = WebRepository(db, user.company_id)
    schedules = {s.id: s.name for s in await ScheduleRepository(db, user.company_id).list()}
    sources = await TrafficSourceRepository(db, user.company_id).names()
    by_schedule = [
        (schedules.get(key, "no schedule (offer data)"), count)
        for key, count in await reads.leads_since_by(today, Lead.schedule_id)
    ]
    by_source = [
        (sources.get(key, "no traffic source"), count)
        for key, count in await reads.leads_since_by(today, Lead.traffic_source_id)
    ]
    placed, connected = await reads.calls_since(today)
    first_day = today.astimezone(zone).date() - timedelta(days=DAYS - 1)
    chart_start = datetime.combine(first_day, time(), zone).astimezone(UTC)
    points = daily_points(await reads.lead_times_since(chart_start), first_day, zone)
    busiest = max(points, key=lambda point: point.value)
    return page(
        request,
        "dashboard.html",
        user=user,
        leads_today=sum(count for _, count in by_schedule),
        by_schedule=by_schedule,
        by_source=by_source,
        calls_placed=placed,
        calls_connected=connected,
        events=await reads.recent_events(20),
        chart=series_chart(
            points,
            "Leads per day, last 7 days",
            "leads",
            f"{sum(int(p.value) for p in points)} leads in the last 7 days; the busiest day "
            f"({busiest.label}) had {busiest.shown}.",
        ),
        zone=zone.key,
        dnc_warning=dnc_warning,
    )
