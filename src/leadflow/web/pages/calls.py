"""Calls: the call log (filters, status, duration, money, recording link) and a call's page with
its events and the form that records revenue, payout and conversion.

The log is ``GET /api/v1/calls`` (the same repository filters and listing spec); the form runs
:class:`~leadflow.calls.schemas.CallUpdate` and :func:`leadflow.calls.service.update_call`, as
``PUT /api/v1/calls/:id`` does, so a converted call ends its lead and fires the same webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy import Select
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.calls import service
from leadflow.calls.listing import CALL_LISTING
from leadflow.calls.repository import CallRepository
from leadflow.calls.schemas import CallUpdate
from leadflow.calls.serializer import serialise_call
from leadflow.companies.repository import CompanyRepository
from leadflow.db.session import SessionDep
from leadflow.kit import listing
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import ListQuery
from leadflow.models import Call, CallStatus
from leadflow.offers.repository import OfferRepository
from leadflow.schedules.repository import ScheduleRepository
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors, from_trackdrive, from_validation
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
PER_PAGE = 25
ID_FILTERS = ("offer_id", "schedule_id", "traffic_source_id")
# Where a provider's recording URL arrives: the call's post-call tokens or inherited tokens.
RECORDING_KEYS = ("recording_url", "recording")


STATUSES = (
    CallStatus.QUEUED,
    CallStatus.INITIATED,
    CallStatus.RINGING,
    CallStatus.IN_PROGRESS,
    CallStatus.COMPLETED,
    CallStatus.BUSY,
    CallStatus.NO_ANSWER,
    CallStatus.FAILED,
    CallStatus.CANCELED,
    CallStatus.UNKNOWN,
)


def _field(call: Any, name: str) -> Any:
    return call.get(name) if isinstance(call, dict) else getattr(call, name, None)


def recording_url(call: Any) -> str | None:
    """The call's recording link when the provider gave one (an http(s) URL only: the page
    never links ``javascript:`` or other schemes a token could carry)."""
    for tokens in (_field(call, "post_call_tokens") or {}, _field(call, "data") or {}):
        for key in RECORDING_KEYS:
            value = tokens.get(key)
            if isinstance(value, str) and value.startswith(("https://", "http://")):
                return value
    return None


def _id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**63 else None


def _day(text: str, zone: ZoneInfo, *, end: bool) -> datetime | None:
    """A ``YYYY-MM-DD`` from a date input as the start (or the end) of that day in the
    company's zone."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start + timedelta(days=1) - timedelta(microseconds=1) if end else start


async def _zone(db: SessionDep, user: WebUser) -> tuple[ZoneInfo, str]:
    company = await CompanyRepository(db).get(user.company_id)
    region = company.default_region if company else "US"
    try:
        return ZoneInfo(user.time_zone), region
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC"), region


@dataclass(frozen=True)
class CallFilters:
    """The call log's filters as the page's form sends them (``from``/``to`` are days)."""

    q: str
    status: str
    direction: str
    in_progress: str
    offer_id: str
    schedule_id: str
    traffic_source_id: str
    created_from: str
    created_to: str

    def as_form(self) -> dict[str, str]:
        """The filters under their form names, for the form, the pager and the export link."""
        named = {f.name: getattr(self, f.name) for f in fields(self)}
        named["from"], named["to"] = named.pop("created_from"), named.pop("created_to")
        return named


def call_filters(
    q: str = "",
    status: str = "",
    direction: str = "",
    in_progress: str = "",
    offer_id: str = "",
    schedule_id: str = "",
    traffic_source_id: str = "",
    created_from: str = Query("", alias="from"),
    created_to: str = Query("", alias="to"),
) -> CallFilters:
    return CallFilters(
        q,
        status,
        direction,
        in_progress,
        offer_id,
        schedule_id,
        traffic_source_id,
        created_from,
        created_to,
    )


CallFiltersDep = Annotated[CallFilters, Depends(call_filters)]


def _listed(
    db: SessionDep, user: WebUser, filters: CallFilters, zone: ZoneInfo, page_number: int
) -> tuple[Select[Any], ListQuery]:
    """The calls the filters match, and the listing query over them (newest first)."""
    base = CallRepository(db, user.company_id).listed(
        in_progress={"yes": True, "no": False}.get(filters.in_progress),
        status=filters.status.strip() or None,
        direction=filters.direction.strip() or None,
        offer_id=_id(filters.offer_id),
        schedule_id=_id(filters.schedule_id),
        traffic_source_id=_id(filters.traffic_source_id),
    )
    query = ListQuery(
        page=min(page_number, 10**6),
        per_page=PER_PAGE,
        order="id",
        order_dir="desc",
        fulltext=filters.q.replace("\x00", "").strip()[:200] or None,
        created_at_from=_day(filters.created_from, zone, end=False),
        created_at_to=_day(filters.created_to, zone, end=True),
    )
    return base, query


@router.get("/calls")
async def calls(
    request: Request,
    user: UserDep,
    db: SessionDep,
    filters: CallFiltersDep,
    page_number: str = Query("1", alias="page"),
) -> Response:
    number = _id(page_number) or 1
    zone, region = await _zone(db, user)
    base, query = _listed(db, user, filters, zone, number)
    found = await listing.fetch(db, CALL_LISTING, query, base, region=region)
    total = int(found.metadata.get("total_count", 0))
    return page(
        request,
        "calls/list.html",
        user=user,
        calls=[(call, recording_url(call)) for call in found.items],
        total=total,
        filters=filters.as_form(),
        page_number=number,
        last_page=max(1, -(-total // PER_PAGE)),
        statuses=STATUSES,
        offers=await OfferRepository(db, user.company_id).list(),
        schedules=await ScheduleRepository(db, user.company_id).list(),
        traffic_sources=await TrafficSourceRepository(db, user.company_id).list(),
    )


@router.get("/calls/export.csv")
async def export_calls(
    request: Request, user: UserDep, db: SessionDep, filters: CallFiltersDep
) -> Response:
    """Every call the log's current filters match (not just the page shown), as CSV: the
    API's ``format=csv`` export, tokens as columns."""
    zone, region = await _zone(db, user)
    base, query = _listed(db, user, filters, zone, 1)
    return listing.csv_export(
        app_state(request).sessionmaker,
        CALL_LISTING,
        query,
        base,
        filename="calls.csv",
        region=region,
    )


async def _call(db: SessionDep, user: WebUser, call_id: str) -> Call:
    row = await CallRepository(db, user.company_id).get(call_id)
    if row is None:
        raise PageNotFoundError
    return row


async def _call_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    call: Call,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    flash: str | None = None,
) -> Response:
    shown = serialise_call(call)
    events = await CallRepository(db, user.company_id).events(call.id)
    return page(
        request,
        "calls/show.html",
        status_code=422 if errors else 200,
        user=user,
        call=shown,
        # The serialised call's times are ISO text; the row's are datetimes for ``|when``.
        row=call,
        recording=recording_url(shown),
        events=events,
        values=values
        or {
            "revenue": f"{shown['revenue']:.2f}",
            "payout": f"{shown['payout']:.2f}",
            "buyer_converted": shown["buyer_converted"],
            "offer_converted": shown["offer_converted"],
        },
        errors=errors or {},
        flash=flash,
    )


@router.get("/calls/{call_id}")
async def call_page(
    request: Request, call_id: str, user: UserDep, db: SessionDep, done: str = ""
) -> Response:
    call = await _call(db, user, call_id)
    flash = "The call is saved." if done == "saved" else None
    return await _call_page(request, user, db, call, flash=flash)


@router.post("/calls/{call_id}")
async def save_call(
    request: Request, call_id: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    call = await _call(db, user, call_id)
    raw: dict[str, Any] = {
        "revenue": str(form.get("revenue") or "").strip() or "0",
        "payout": str(form.get("payout") or "").strip() or "0",
        "buyer_converted": form.get("buyer_converted") == "on",
        "offer_converted": form.get("offer_converted") == "on",
    }
    try:
        body = CallUpdate.model_validate(raw)
        await service.update_call(CallRepository(db, user.company_id), call, body, clock.now())
    except ValidationError as exc:
        return await _call_page(request, user, db, call, raw, from_validation(exc))
    except TrackDriveError as exc:
        await db.rollback()
        call = await _call(db, user, call_id)
        return await _call_page(request, user, db, call, raw, from_trackdrive(exc))
    return redirect(request, f"/calls/{call.id}?done=saved")
