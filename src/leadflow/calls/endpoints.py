"""`/api/v1/calls`: list, stats, show, a call's events, and the update that records its money
and conversion (which ends the lead as converted, see :mod:`leadflow.calls.conversion`).

Every route takes company credentials; another company's call is a 404.
"""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, Depends, Query, Request
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.calls import service
from leadflow.calls.listing import CALL_LISTING
from leadflow.calls.repository import CallRepository
from leadflow.calls.schemas import CallEventOut, CallUpdate, GroupBy, Stat, StatRow
from leadflow.calls.serializer import CallOut, serialise_call
from leadflow.calls.stats import fold_local_days, named_group, named_id, stat_rows
from leadflow.db.repository import MAX_ID
from leadflow.db.session import SessionDep
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import TIME_HELP, ListQueryDep
from leadflow.kit.query_params import declared_params_only
from leadflow.kit.values import parse_bool, parse_time
from leadflow.models import Call

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])
Reader = Annotated[Principal, Depends(require("calls", READ))]
Writer = Annotated[Principal, Depends(require("calls", WRITE))]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _flag(name: str, raw: str | None) -> bool | None:
    if raw is None or not raw.strip():
        return None
    try:
        return parse_bool(raw)
    except ValueError as exc:
        raise TrackDriveError.field(name, str(exc)) from None


def _text(value: str | None) -> str | None:
    """A text filter without NUL, which nothing stored holds (and PostgreSQL refuses)."""
    return (value or "").replace("\x00", "").strip() or None


def _times(**raw: str | None) -> dict[str, datetime | None]:
    """TrackDrive's time format (or ISO 8601); 422 naming each bad one."""
    parsed: dict[str, datetime | None] = {}
    errors: dict[str, list[str]] = {}
    for name, text in raw.items():
        parsed[name] = None
        if text is not None and text.strip():
            try:
                parsed[name] = parse_time(text)
            except ValueError as exc:
                errors[name] = [str(exc)]
    if errors:
        raise TrackDriveError.invalid(errors)
    return parsed


async def _load(repo: CallRepository, ref: str) -> Call:
    call = await repo.get(ref)
    if call is None:
        raise TrackDriveError.not_found("call")
    return call


@router.get(
    "",
    summary="List calls",
    **listing.with_csv(envelope.documented("calls", listing.listed_item(CallOut), plural=True)),
)
async def list_calls(
    request: Request,
    principal: Reader,
    session: SessionDep,
    query: ListQueryDep,
    in_progress: Annotated[
        str | None,
        Query(description="true: only calls not yet ended; false: only ended calls."),
    ] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    direction: Annotated[str | None, Query(description="inbound or outbound")] = None,
    lead_id: IdFilter = None,
    offer_id: IdFilter = None,
    schedule_id: IdFilter = None,
    traffic_source_id: IdFilter = None,
) -> Response:
    """Paged (``page``/``per_page``) or by cursor, filtered by creation time and the fields
    above; ``fulltext`` finds a number among the called and calling numbers."""
    repo = CallRepository(session, principal.company_id)
    base = repo.listed(
        in_progress=_flag("in_progress", in_progress),
        status=_text(status),
        direction=_text(direction),
        lead_id=lead_id,
        offer_id=offer_id,
        schedule_id=schedule_id,
        traffic_source_id=traffic_source_id,
    )
    if query.csv:
        return listing.csv_export(
            app_state(request).sessionmaker,
            CALL_LISTING,
            query,
            base,
            filename="calls.csv",
            region=principal.default_region,
        )
    page = await listing.fetch(session, CALL_LISTING, query, base, region=principal.default_region)
    return envelope.many("calls", page.items, page.metadata)


@router.get(
    "/stats",
    summary="Call stats",
    dependencies=[Depends(declared_params_only)],
    **envelope.documented("stats", StatRow, plural=True),
)
async def call_stats(
    principal: Reader,
    session: SessionDep,
    group_by: Annotated[GroupBy, Query(description="How calls are grouped.")] = "status",
    stat: Annotated[Stat, Query(description="count, or dollars summed.")] = "count",
    created_at_from: Annotated[str | None, Query(description=TIME_HELP)] = None,
    created_at_to: Annotated[str | None, Query(description=TIME_HELP)] = None,
) -> Response:
    """One row per group of the company's calls created in the range: the number of calls
    and the stat. ``created_at_day`` is the day in the company's time zone."""
    times = _times(created_at_from=created_at_from, created_at_to=created_at_to)
    repo = CallRepository(session, principal.company_id)
    time_zone = await repo.company_time_zone()
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone, time_zone = ZoneInfo("UTC"), "UTC"
    buckets = await repo.stat_buckets(
        group_by, time_zone, times["created_at_from"], times["created_at_to"]
    )
    if group_by == "created_at_day" and session.get_bind().dialect.name != "postgresql":
        buckets = fold_local_days(buckets, zone)
    ids = [found for b in buckets if (found := named_id(group_by, b)) is not None]
    names = await repo.names(named_group(group_by) or group_by, ids)
    rows = stat_rows(group_by, stat, buckets, names)
    metadata = {"group_by": group_by, "stat": stat, "time_zone": time_zone}
    return envelope.many("stats", rows, metadata)


@router.get("/{ref}", summary="Show a call", **envelope.documented("call", CallOut))
async def show_call(ref: str, principal: Reader, session: SessionDep) -> Response:
    call = await _load(CallRepository(session, principal.company_id), ref)
    return envelope.one("call", serialise_call(call))


@router.get(
    "/{ref}/events",
    summary="A call's events, oldest first",
    **envelope.documented("call_events", CallEventOut, plural=True),
)
async def call_events(ref: str, principal: Reader, session: SessionDep) -> Response:
    repo = CallRepository(session, principal.company_id)
    call = await _load(repo, ref)
    events = [CallEventOut.model_validate(event) for event in await repo.events(call.id)]
    return envelope.many("call_events", events, {"call_id": call.id})


@router.put("/{ref}", summary="Update a call", **envelope.documented("call", CallOut))
async def update_call(
    ref: str,
    body: Annotated[CallUpdate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Record revenue, payout, conversion and post-call tokens. A call marked converted
    ends its lead as ``completed_converted`` and fires ``lead_converted``; every update fires
    ``call_changed``."""
    repo = CallRepository(session, principal.company_id)
    call = await _load(repo, ref)
    await service.update_call(repo, call, body, clock.now())
    return envelope.one("call", serialise_call(call))
