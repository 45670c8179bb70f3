"""Leads: the searchable, paged list (the API's listing convention and its full-text index)
and the lead page with its tokens, contact state, timeline and buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.calls.dialing.endpoints import REFUSALS
from leadflow.companies.repository import CompanyRepository
from leadflow.db.session import SessionDep
from leadflow.dnc.standing import lead_standing
from leadflow.kit import listing
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import ListQuery
from leadflow.leads.records.listing import LEAD_LISTING
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.models import Lead, LeadStatus
from leadflow.schedules.repository import ScheduleRepository
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.web import lead_actions
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.pages.submissions import submitted_matches
from leadflow.web.rendering import page, redirect, zone_of
from leadflow.web.repository import WebRepository

router = APIRouter(include_in_schema=False)
PER_PAGE = 25
SUBMITTED_SHOWN = 10  # submitted (LeadSail) leads shown under the list; the rest at /submissions
DONE = {name: message for name, (_, message) in lead_actions.OPERATIONS.items()}
DONE["call"] = "The call is placed."
NO_SCHEDULE = "Nothing was done: the lead is in no schedule, so it has no end to move to."


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    summary: str
    detail: dict[str, Any]


def _page_number(text: str) -> int:
    return min(int(text), 100_000) if text.isdigit() and int(text) > 0 else 1


SORTABLE = {"id": "Lead", "created_at": "Created", "next_action_at": "Next action"}


@dataclass(frozen=True)
class LeadFilters:
    """The leads list's filters as the page's form sends them (text, for the form to show)."""

    q: str = ""
    status: str = ""
    schedule_id: str = ""
    traffic_source_id: str = ""
    sub_id: str = ""
    created_from: str = ""
    created_to: str = ""
    sort: str = "id"
    dir: str = "desc"

    def link(self, **changes: str) -> str:
        """This list's query string with ``changes`` (a page, another sort), for a link."""
        values = {**self.__dict__, **changes}
        return urlencode({name: value for name, value in values.items() if value})


def _day(text: str, zone: ZoneInfo, *, end: bool = False) -> datetime | None:
    """A date typed in the filter, read in the company's zone: the start of that day, or
    (``end``) the start of the next one."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1 if end else 0), time(), zone).astimezone(UTC)


def lead_query(
    filters: LeadFilters, zone: ZoneInfo, page_number: int = 1, per_page: int = PER_PAGE
) -> tuple[ListQuery, dict[str, list[str]]]:
    """The API's listing query for these filters, and the filters that could not be read."""
    errors: dict[str, list[str]] = {}
    params = []
    for name in ("status", "schedule_id", "traffic_source_id", "sub_id"):
        value = getattr(filters, name).strip()
        if value:
            params.append((name, value[:200]))
    bounds = {}
    for name in ("created_from", "created_to"):
        text = getattr(filters, name)
        if text.strip():
            bounds[name] = _day(text, zone, end=name == "created_to")
            if bounds[name] is None:
                errors[name] = ["Enter a date, such as 2026-12-31."]
    query = ListQuery(
        page=page_number,
        per_page=per_page,
        order=filters.sort if filters.sort in SORTABLE else "id",
        order_dir="asc" if filters.dir == "asc" else "desc",
        fulltext=filters.q.strip()[:200] or None,
        serializer="lead_grid",
        created_at_from=bounds.get("created_from"),
        created_at_to=bounds.get("created_to"),
        params=tuple(params),
    )
    return query, errors


@router.get("/leads")
async def leads(
    request: Request,
    user: UserDep,
    db: SessionDep,
    q: str = "",
    status: str = "",
    schedule_id: str = "",
    traffic_source_id: str = "",
    sub_id: str = "",
    created_from: str = "",
    created_to: str = "",
    sort: str = "id",
    dir: str = "desc",
    page_number: str = Query("1", alias="page"),
    bulk_done: str = "",
    bulk_operation: str = "",
    bulk_skipped: str = "",
    bulk_schedule: str = "",
) -> Response:
    filters = LeadFilters(
        q, status, schedule_id, traffic_source_id, sub_id, created_from, created_to, sort, dir
    )
    repo = LeadRecordRepository(db, user.company_id)
    schedules = await ScheduleRepository(db, user.company_id).list()
    schedule = next((s for s in schedules if str(s.id) == schedule_id), None)
    number = _page_number(page_number)
    query, errors = lead_query(filters, zone_of(user), number)
    region = await _region(db, user)
    unfiltered = not query.params and not query.fulltext and query.created_at_from is None
    try:
        found = await listing.fetch(
            db,
            LEAD_LISTING,
            query,
            repo.scoped(),
            region=region,
            kept_total=repo.kept_count if unfiltered and query.created_at_to is None else None,
        )
        items, total = found.items, int(found.metadata.get("total_count", 0))
    except TrackDriveError as exc:
        errors = {**errors, **{name: list(messages) for name, messages in exc.errors.items()}}
        items, total = [], 0
    sources = await TrafficSourceRepository(db, user.company_id).list()
    # Submitted leads have none of the TrackDrive filters but the search: shown beside them
    # unless a filter only TrackDrive leads have is set.
    trackdrive_only = filters.status or schedule_id or traffic_source_id or sub_id
    submitted, campaign_names = (
        ([], {})
        if trackdrive_only or created_from or created_to or errors
        else await submitted_matches(db, user.company_id, q, SUBMITTED_SHOWN)
    )
    return page(
        request,
        "leads/list.html",
        submitted=submitted,
        submitted_shown=SUBMITTED_SHOWN,
        campaign_names=campaign_names,
        status_code=422 if errors else 200,
        user=user,
        leads=items,
        total=total,
        page_number=number,
        last_page=max(1, -(-total // PER_PAGE)),
        q=q,
        filters=filters,
        errors=errors,
        filtered=not unfiltered or query.created_at_to is not None,
        sortable=SORTABLE,
        statuses=[("", "Any status"), *LeadStatus.HUMAN.items()],
        schedule_choices=[("", "Any schedule"), *((s.id, s.name) for s in schedules)],
        source_choices=[("", "Any traffic source"), *((t.id, t.name) for t in sources)],
        schedule=schedule,
        schedule_names={s.id: s.name for s in schedules},
        bulk_operations=list(BULK.items()),
        enrol_choices=[("", "Choose…"), *((s.id, s.name) for s in schedules)],
        flash=bulk_flash(
            bulk_operation,
            bulk_done,
            bulk_skipped,
            next((s.name for s in schedules if str(s.id) == bulk_schedule), None),
        ),
    )


async def _region(db: SessionDep, user: WebUser) -> str:
    company = await CompanyRepository(db).get(user.company_id)
    return company.default_region if company else "US"


async def _lead(db: SessionDep, user: WebUser, ref: str) -> Lead:
    lead = await LeadRecordRepository(db, user.company_id).get(ref)
    if lead is None:
        raise PageNotFoundError
    return lead


async def _timeline(db: SessionDep, user: WebUser, lead: Lead) -> list[TimelineEntry]:
    """Every event, call and message of the lead, oldest first."""
    records = LeadRecordRepository(db, user.company_id)
    reads = WebRepository(db, user.company_id)
    entries = [
        TimelineEntry(e.created_at, "event", e.kind.replace("_", " "), dict(e.data))
        for e in await records.events(lead.id)
    ]
    for call in await reads.lead_calls(lead.id):
        detail = {"to": call.to_number, "from": call.from_number, "duration": call.duration}
        entries.append(TimelineEntry(call.created_at, "call", f"call {call.status}", detail))
    for message in await reads.lead_messages(lead.id):
        detail = {"to": message.to_address, "body": message.body[:300]}
        entries.append(
            TimelineEntry(
                message.created_at,
                message.channel,
                f"{message.direction} {message.channel} {message.status}",
                detail,
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


@router.get("/leads/{ref}")
async def lead_page(
    request: Request, ref: str, user: UserDep, db: SessionDep, done: str = "", refused: str = ""
) -> Response:
    registry = app_state(request).dnc_registry()
    await registry.refresh()  # before the page's session takes SQLite's one connection
    lead = await _lead(db, user, ref)
    contact = await LeadRecordRepository(db, user.company_id).contact(lead.caller_id)
    schedule = (
        await ScheduleRepository(db, user.company_id).get(lead.schedule_id)
        if lead.schedule_id
        else None
    )
    source = (
        await TrafficSourceRepository(db, user.company_id).get(lead.traffic_source_id)
        if lead.traffic_source_id
        else None
    )
    flash = DONE.get(done) or (
        f"The call was refused: {REFUSALS[refused]}."
        if refused in REFUSALS
        else NO_SCHEDULE
        if refused == "no_schedule"
        else "Nothing was done: the lead has already ended."
        if refused
        else None
    )
    return page(
        request,
        "leads/show.html",
        user=user,
        lead=lead,
        human_status=LeadStatus.HUMAN.get(lead.status, lead.status),
        is_live=lead.status in LeadStatus.LIVE,
        contact=contact,
        schedule=schedule,
        traffic_source=source,
        timeline=await _timeline(db, user, lead),
        dnc=lead_standing(registry, lead, contact, schedule, app_state(request).clock.now()),
        flash=flash,
    )


async def _lead_and_region(request: Request, user: WebUser, ref: str) -> tuple[Lead, str]:
    """Read on a short session of its own: the action then runs in the group commit."""
    async with app_state(request).sessionmaker() as db:
        return await _lead(db, user, ref), await _region(db, user)


@router.post("/leads/{ref}/{operation}")
async def lead_operation(
    request: Request, ref: str, operation: str, user: UserDep, form: CsrfDep
) -> Response:
    lead, region = await _lead_and_region(request, user, ref)
    if operation not in lead_actions.OPERATIONS and operation != "call":
        raise PageNotFoundError
    if lead.caller_id is None:
        return redirect(request, f"/leads/{lead.id}")
    if operation == "move_to_end" and lead.schedule_id is None:
        return redirect(request, f"/leads/{lead.id}?refused=no_schedule")
    try:
        if operation == "call":
            await lead_actions.call_now(request, lead)
        else:
            await lead_actions.run_caller_operation(request, lead, region, operation)
    except TrackDriveError as exc:
        code = exc.code if exc.code in REFUSALS else "ended"
        return redirect(request, f"/leads/{lead.id}?refused={code}")
    return redirect(request, f"/leads/{lead.id}?done={operation}")


# The list's bulk actions (run by leads_bulk): their labels, and why enrolment skips a lead.
ENROL = "enrol"
BULK = {
    "opt_out": "Opt out",
    "remove": "Remove",
    "move_to_end": "Move to end of schedule",
    ENROL: "Enrol in a schedule",
}
SKIPPED = {
    LeadStatus.OPT_OUT: "Opted out",
    LeadStatus.DNC: "On a do-not-call list",
    LeadStatus.BLOCKED: "Blocked",
    "already": "Already live in that schedule",
    "no_phone": "No phone number",
    "no_route": "No distribution of the router matched",
    "refused": "Refused by the schedule",
    "no_schedule": "The schedule's lead token changed",
}


def bulk_flash(operation: str, done: str, skipped: str, schedule: str | None) -> str | None:
    """What a finished bulk action did, read from the list's query string (only counts and
    known names are shown, so a crafted link cannot put words on the page)."""
    if operation not in BULK or not done.isdigit():
        return None
    label = f"Enrol in {schedule}" if operation == ENROL and schedule else BULK[operation]
    text = f"{label}: done for {int(done)} lead(s)."
    reasons = [part.partition(".") for part in skipped.split(",") if part]
    counted = [(SKIPPED[why], int(n)) for why, _, n in reasons if why in SKIPPED and n.isdigit()]
    if counted:
        total = sum(n for _, n in counted)
        text += f" Skipped {total}: " + "; ".join(f"{why} ({n})" for why, n in counted) + "."
    return text
