"""Schedules: the list, a new schedule, the edit page with its actions editor, and the
"API Token & Examples" page with the button that regenerates the token.

Every value goes through the schedules API's own schema (``ScheduleCreate``/``ScheduleUpdate``)
and its ``offer_is_own`` rule; writes drop the lead-token cache after the commit as the API does
(the cache holds the token, ``paused`` and the duplicate timeframe).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.companies.keys import new_lead_token
from leadflow.db.session import SessionDep, flush_or_422
from leadflow.dnc import forms as dnc_forms
from leadflow.kit.crud import forget_lead_owners_after_commit
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.kit.errors import TrackDriveError
from leadflow.models import Schedule
from leadflow.offers.repository import OfferRepository
from leadflow.schedules.actions import check_webhook_urls
from leadflow.schedules.config import WEEKDAYS, CallingHours
from leadflow.schedules.endpoints import offer_is_own
from leadflow.schedules.repository import ScheduleRepository
from leadflow.schedules.schemas import ScheduleCreate, ScheduleUpdate
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.web import action_editor, samples
from leadflow.web.action_editor import (
    ACTION_TYPES,
    END_ACTION_TYPES,
    END_ACTIONS_PREFIX,
    ActionDraft,
)
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors, from_trackdrive, from_validation, merge
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
TIME_ZONES = sorted(available_timezones())
SCHEDULE_TYPE_CHOICES = (
    ("contact_caller", "Contact the caller (work each lead through the actions)"),
    ("lead_distribution", "Router (hand each lead to a schedule its distributions pick)"),
)
DIAL_ORDERS = (
    ("fifo", "Oldest lead first (FIFO)"),
    ("lifo", "Newest lead first (LIFO)"),
    ("random", "Random"),
)


async def _schedule(db: SessionDep, user: WebUser, ref: str) -> Schedule:
    row = await ScheduleRepository(db, user.company_id).get(ref)
    if row is None:
        raise PageNotFoundError
    return row


@router.get("/schedules")
async def schedules(request: Request, user: UserDep, db: SessionDep) -> Response:
    rows = await ScheduleRepository(db, user.company_id).list()
    offers = {o.id: o.name for o in await OfferRepository(db, user.company_id).list()}
    return page(request, "schedules/list.html", user=user, schedules=rows, offers=offers)


@router.get("/schedules/new")
async def new_schedule(request: Request, user: UserDep, db: SessionDep) -> Response:
    offers = await OfferRepository(db, user.company_id).list()
    return page(request, "schedules/new.html", user=user, offers=offers, values={}, errors={})


@router.post("/schedules/new")
async def create_schedule(
    request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    values = {"name": str(form.get("name") or ""), "offer_id": str(form.get("offer_id") or "")}
    errors: FieldErrors = {}
    try:
        checked = ScheduleCreate.model_validate(values).model_dump(exclude_none=True)
        checked = await offer_is_own(db, user.principal, checked)
    except ValidationError as exc:
        errors = from_validation(exc)
    except TrackDriveError as exc:
        errors = from_trackdrive(exc)
    if errors:
        offers = await OfferRepository(db, user.company_id).list()
        return page(
            request,
            "schedules/new.html",
            status_code=422,
            user=user,
            offers=offers,
            values=values,
            errors=errors,
        )
    now = clock.now()
    row = Schedule(
        company_id=user.company_id,
        leads_api_key=new_lead_token(),
        actions=[],
        calling_hours={},
        end_actions=[],
        created_at=now,
        updated_at=now,
        **checked,
    )
    ScheduleRepository(db, user.company_id).add(row)
    await flush_or_422(db)
    return redirect(request, f"/schedules/{row.id}/edit")


def _hours_of(stored: dict[str, Any]) -> dict[str, dict[str, Any]]:
    try:
        hours = CallingHours.model_validate(stored)
    except ValidationError:
        hours = CallingHours()
    return hours.model_dump()


def _posted_settings(form: FormData) -> dict[str, Any]:
    """The schedule's own fields as posted, raw, for the schema to check."""
    values: dict[str, Any] = {
        "name": str(form.get("name") or ""),
        "offer_id": str(form.get("offer_id") or ""),
        "paused": form.get("paused") == "on",
        "time_zone": str(form.get("time_zone") or ""),
        "calling_hours": {
            day: {
                "open": str(form.get(f"calling_hours.{day}.open") or ""),
                "close": str(form.get(f"calling_hours.{day}.close") or ""),
                "closed": form.get(f"calling_hours.{day}.closed") == "on",
            }
            for day in WEEKDAYS
        },
    }
    timeframe = str(form.get("lead_duplicate_timeframe") or "").strip()
    values["lead_duplicate_timeframe"] = timeframe or "0"
    values["dial_order"] = str(form.get("dial_order") or "fifo")
    values["description"] = str(form.get("description") or "")
    values["schedule_type"] = str(form.get("schedule_type") or "contact_caller")
    values["real_time_priority"] = str(form.get("real_time_priority") or "").strip()
    return values


async def _edit_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    row: Schedule,
    values: dict[str, Any],
    drafts: list[ActionDraft],
    end_drafts: list[ActionDraft],
    errors: FieldErrors,
    status_code: int = 200,
    flash: str | None = None,
) -> Response:
    offers = await OfferRepository(db, user.company_id).list()
    return page(
        request,
        "schedules/edit.html",
        status_code=status_code,
        user=user,
        schedule=row,
        values=values,
        drafts=drafts,
        end_drafts=end_drafts,
        errors=errors,
        offers=offers,
        time_zones=TIME_ZONES,
        weekdays=WEEKDAYS,
        dial_orders=DIAL_ORDERS,
        schedule_types=SCHEDULE_TYPE_CHOICES,
        action_types=ACTION_TYPES,
        end_action_types=END_ACTION_TYPES,
        condition_operators=action_editor.CONDITION_OPERATORS,
        dnc_lists=dnc_forms.FORM_LISTS,
        flash=flash,
    )


@router.get("/schedules/{schedule_id}/edit")
async def edit_schedule(
    request: Request, schedule_id: str, user: UserDep, db: SessionDep, saved: bool = False
) -> Response:
    row = await _schedule(db, user, schedule_id)
    values = {
        "name": row.name,
        "offer_id": str(row.offer_id),
        "paused": row.paused,
        "time_zone": row.time_zone,
        "lead_duplicate_timeframe": str(row.lead_duplicate_timeframe),
        "calling_hours": _hours_of(row.calling_hours),
        "dial_order": row.dial_order,
        "description": row.description or "",
        "schedule_type": row.schedule_type,
        "real_time_priority": "" if row.real_time_priority is None else row.real_time_priority,
        "dnc_settings": dnc_forms.form_values(row.dnc_settings),
    }
    drafts = action_editor.drafts_of(row.actions)
    end_drafts = action_editor.drafts_of(row.end_actions)
    flash = "Schedule saved." if saved else None
    return await _edit_page(request, user, db, row, values, drafts, end_drafts, {}, flash=flash)


@router.post("/schedules/{schedule_id}/edit")
async def save_schedule(
    request: Request,
    schedule_id: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    """Save, or (``op`` add/up/down/delete, ``end_`` before it for the end actions) rearrange
    the unsaved actions and show them again.

    End actions the page showed and nobody changed are not posted to the schema at all, so a
    save of other fields keeps their stored JSON exactly (the form cannot tell an absent value
    from the schema's default)."""
    row = await _schedule(db, user, schedule_id)
    values = _posted_settings(form)
    values["dnc_settings"] = dnc_forms.posted_settings(form, row.dnc_settings)
    drafts = action_editor.posted_drafts(form)
    end_drafts = action_editor.posted_drafts(form, END_ACTIONS_PREFIX, "end_action_count")
    operation = str(form.get("op") or "save")
    if operation.startswith("end_") and action_editor.apply_operation(
        end_drafts,
        operation.removeprefix("end_"),
        str(form.get("new_end_action_type") or ""),
        END_ACTION_TYPES,
    ):
        return await _edit_page(request, user, db, row, values, drafts, end_drafts, {})
    if operation != "save" and action_editor.apply_operation(
        drafts, operation, str(form.get("new_action_type") or "")
    ):
        return await _edit_page(request, user, db, row, values, drafts, end_drafts, {})
    actions, errors = action_editor.actions_json(drafts)
    posted: dict[str, Any] = {**values, "actions": actions}
    if not action_editor.unchanged(end_drafts, row.end_actions or []):
        end_actions, end_errors = action_editor.actions_json(end_drafts, END_ACTIONS_PREFIX)
        errors = merge(errors, end_errors)
        posted["end_actions"] = end_actions
    # An empty real-time priority turns it off; the field shows it as empty, not "None".
    posted["real_time_priority"] = values["real_time_priority"] or None
    checked: dict[str, Any] = {}
    try:
        checked = ScheduleUpdate.model_validate(posted).model_dump(exclude_unset=True)
    except ValidationError as exc:
        errors = merge(errors, from_validation(exc, action_editor.locator(drafts, end_drafts)))
    if not errors:
        try:
            check_webhook_urls(app_state(request).settings, checked)
            checked = await offer_is_own(db, user.principal, checked)
        except TrackDriveError as exc:
            errors = action_editor.url_policy_errors(from_trackdrive(exc))
    if errors:
        errors = action_editor.one_based(errors)
        return await _edit_page(request, user, db, row, values, drafts, end_drafts, errors, 422)
    for name, value in checked.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    await flush_or_422(db)
    forget_lead_owners_after_commit(request, db)
    return redirect(request, f"/schedules/{row.id}/edit?saved=1")


@router.get("/schedules/{schedule_id}/submit_leads_help")
async def submit_leads_help(
    request: Request,
    schedule_id: str,
    user: UserDep,
    db: SessionDep,
    settings: SettingsDep,
    traffic_source_id: str = "",
    regenerated: bool = False,
) -> Response:
    row = await _schedule(db, user, schedule_id)
    sources = await TrafficSourceRepository(db, user.company_id).list()
    chosen = next(
        (s for s in sources if str(s.id) == traffic_source_id), sources[0] if sources else None
    )
    base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return page(
        request,
        "schedules/submit_leads_help.html",
        user=user,
        schedule=row,
        samples=samples.code_samples(base, row.leads_api_key),
        webhook_url=samples.webhook_url(base, row.leads_api_key),
        attribution_url=samples.attribution_url(
            base, row.leads_api_key, chosen.id if chosen else None
        ),
        traffic_sources=sources,
        chosen=chosen,
        flash="A new token was made: the old one no longer works." if regenerated else None,
    )


@router.get("/schedules/{schedule_id}/regenerate_token")
async def confirm_regenerate_token(
    request: Request, schedule_id: str, user: UserDep, db: SessionDep
) -> Response:
    """The old token stops at once, breaking every form that posts with it: ask first."""
    row = await _schedule(db, user, schedule_id)
    return page(
        request,
        "confirm.html",
        user=user,
        heading=f"Regenerate the token of {row.name}",
        message="A new lead token is made and the old one stops working at once: every form, "
        "landing page and integration that posts leads with it must be given the new one.",
        action=f"/schedules/{row.id}/regenerate_token",
        hidden=[],
        button="Regenerate token",
        back=f"/schedules/{row.id}/submit_leads_help",
    )


@router.post("/schedules/{schedule_id}/regenerate_token")
async def regenerate_token(
    request: Request,
    schedule_id: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    """A new token; the old one stops at once in this process (the cache is cleared after the
    commit) and in other processes within ``token_cache_seconds``. Only a confirmed form
    (``confirm=yes``, from the confirmation page) does it."""
    row = await _schedule(db, user, schedule_id)
    if form.get("confirm") != "yes":
        return redirect(request, f"/schedules/{row.id}/regenerate_token")
    row.leads_api_key = new_lead_token()
    row.updated_at = clock.now()
    await flush_or_422(db)
    forget_lead_owners_after_commit(request, db)
    return redirect(request, f"/schedules/{row.id}/submit_leads_help?regenerated=1")
