"""`/api/v1/leads` as a company resource: list, show (with the timeline), update and delete.

Intake (``POST``/``GET`` with a ``lead_token``) lives in :mod:`leadflow.leads.endpoints` and is
registered first; these routes answer company credentials. Blocking or opting out a lead here
sets the company-wide contact state and ends the number's live leads, as intake's
``caller_opt_out`` does, and every change is written to the lead's timeline.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.db.session import SessionDep, flush_or_422
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import ListQueryDep
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.kit.values import parse_time
from leadflow.leads.records.listing import LEAD_LISTING
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.leads.records.schemas import LeadDetail, LeadEventOut, LeadUpdate
from leadflow.leads.records.service import lead_row, serialised_lead
from leadflow.leads.serializer import LeadOut
from leadflow.models import Lead, LeadStatus
from leadflow.webhooks.lead_events import (
    LEAD_CHANGED,
    LEAD_ENDED,
    LEAD_OPTED_OUT,
    lead_trigger,
)
from leadflow.webhooks.outbox import enqueue_events_in_session

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])
Reader = Annotated[Principal, Depends(require("leads", READ))]
Writer = Annotated[Principal, Depends(require("leads", WRITE))]
NOT_NULL = ("blocked", "opt_out", "data")
TIMES = ("next_action_at", "schedule_callback_at")


async def _load(repo: LeadRecordRepository, ref: str) -> Lead:
    lead = await repo.get(ref)
    if lead is None:
        raise TrackDriveError.not_found("lead")
    return lead


@router.get(
    "",
    summary="List leads",
    **listing.with_csv(envelope.documented("leads", listing.listed_item(LeadOut), plural=True)),
)
async def list_leads(
    request: Request, principal: Reader, session: SessionDep, query: ListQueryDep
) -> Response:
    repo = LeadRecordRepository(session, principal.company_id)
    if query.csv:
        return listing.csv_export(
            app_state(request).sessionmaker,
            LEAD_LISTING,
            query,
            repo.scoped(),
            filename="leads.csv",
            region=principal.default_region,
        )
    page = await listing.fetch(
        session,
        LEAD_LISTING,
        query,
        repo.scoped(),
        region=principal.default_region,
        kept_total=repo.kept_count,
    )
    return envelope.many("leads", page.items, page.metadata)


@router.get(
    "/{ref}",
    summary="Show a lead with its timeline",
    **envelope.documented("lead", LeadDetail),
)
async def show_lead(ref: str, principal: Reader, session: SessionDep) -> Response:
    repo = LeadRecordRepository(session, principal.company_id)
    lead = await _load(repo, ref)
    events = [LeadEventOut.model_validate(event) for event in await repo.events(lead.id)]
    detail = LeadDetail.model_validate({**await serialised_lead(repo, lead), "events": events})
    return envelope.one("lead", detail)


async def _checked(repo: LeadRecordRepository, body: LeadUpdate, region: str) -> dict[str, Any]:
    """The sent values, normalised, or a 422 naming every bad one."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    errors: dict[str, list[str]] = {
        name: ["can't be blank"] for name in NOT_NULL if name in changes and changes[name] is None
    }
    if changes.get("caller_id") is not None:
        try:
            changes["caller_id"] = to_e164(changes["caller_id"], region)
        except InvalidPhoneNumberError:
            errors["caller_id"] = ["is not a valid phone number"]
    for name in TIMES:
        if changes.get(name) is not None:
            try:
                changes[name] = parse_time(changes[name])
            except ValueError as exc:
                errors[name] = [str(exc)]
    source = changes.get("traffic_source_id")
    if source is not None and not await repo.owns_traffic_source(source):
        errors["traffic_source_id"] = ["is not one of your traffic sources"]
    if errors:
        raise TrackDriveError.invalid(errors)
    return changes


async def _announce(
    repo: LeadRecordRepository, event: str, leads: list[Lead], now: datetime
) -> None:
    """Queue ``event`` for each lead, shown as the API shows it, in this request's
    transaction (see :mod:`leadflow.webhooks.outbox`)."""
    items = []
    for lead in leads:
        items.append((await serialised_lead(repo, lead), lead_trigger(lead_row(lead))))
    await enqueue_events_in_session(repo.session, event, items, company_id=repo.company_id, now=now)


async def _apply_contact_state(
    repo: LeadRecordRepository, lead: Lead, changes: dict[str, Any], now: datetime
) -> tuple[str, list[Lead]] | None:
    """Blocking or opting out is company-wide: the contact records it and every live lead
    of the number ends; unblocking or opting back in clears it (ended leads stay ended).
    Returns the webhook event to announce and the leads it concerns, if any."""
    wanted = {name: changes[name] for name in ("blocked", "opt_out") if name in changes}
    if not wanted:
        return None
    if lead.caller_id is None:
        raise TrackDriveError.field("caller_id", "is needed to block or opt out a lead")
    if wanted.get("blocked") is False:
        await repo.set_contact_state(lead.caller_id, now, blocked=False, blocked_at=None)
        repo.add_event(lead, "contact_unblocked", {"by": "lead_update"}, now)
    if wanted.get("opt_out") is False:
        contact = await repo.contact(lead.caller_id)
        if contact is not None and contact.opt_out:
            # The consumer's own request: lifted by their START reply, or by an operator's
            # opt-in with a reason (kept on the number's history), never by a field edit.
            raise TrackDriveError.field(
                "opt_out",
                "can only be lifted by the consumer's START reply or by POST "
                "/api/v1/contacts/:caller_id/caller_opt_in with a reason",
            )
    if wanted.get("opt_out"):
        await repo.set_contact_state(lead.caller_id, now, opt_out=True, opt_out_at=now)
    if wanted.get("blocked"):
        await repo.set_contact_state(lead.caller_id, now, blocked=True, blocked_at=now)
    if not (wanted.get("blocked") or wanted.get("opt_out")):
        return None
    status, kind = (
        (LeadStatus.BLOCKED, "blocked")
        if wanted.get("blocked")
        else (LeadStatus.OPT_OUT, "opted_out")
    )
    ended = await repo.end_live_leads_of_number(lead.caller_id, status, kind, now, "lead_update")
    if lead not in ended:
        repo.add_event(lead, kind, {"by": "lead_update"}, now)
    if wanted.get("opt_out"):
        return LEAD_OPTED_OUT, ended if lead in ended else [lead, *ended]
    return LEAD_ENDED, ended


@router.put(
    "/{ref}",
    summary="Update a lead",
    **envelope.documented("lead", LeadOut),
)
async def update_lead(
    ref: str,
    body: Annotated[LeadUpdate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    repo = LeadRecordRepository(session, principal.company_id)
    lead = await _load(repo, ref)
    changes = await _checked(repo, body, principal.default_region)
    now = clock.now()
    fields = {k: v for k, v in changes.items() if k not in ("blocked", "opt_out", "data")}
    callback = fields.get("schedule_callback_at")
    if callback is not None and "next_action_at" not in fields and lead.status in LeadStatus.LIVE:
        fields["next_action_at"] = callback
    for name, value in fields.items():
        setattr(lead, name, value)
    if "data" in changes:
        lead.tokens = {**lead.tokens, **changes["data"]}
    lead.updated_at = now
    updated = sorted(name for name in changes if name not in ("blocked", "opt_out"))
    if updated:
        repo.add_event(lead, "updated", {"fields": updated, "by": "lead_update"}, now)
    announced = await _apply_contact_state(repo, lead, changes, now)
    if updated:
        await _announce(repo, LEAD_CHANGED, [lead], now)
    if announced is not None:
        await _announce(repo, *announced, now)
    await flush_or_422(session)
    return envelope.one("lead", LeadOut.model_validate(await serialised_lead(repo, lead)))


@router.delete(
    "/{ref}",
    summary="Delete a lead (its timeline goes with it)",
    **envelope.documented("lead", LeadOut),
)
async def delete_lead(
    ref: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    repo = LeadRecordRepository(session, principal.company_id)
    lead = await _load(repo, ref)
    out = LeadOut.model_validate(await serialised_lead(repo, lead))
    if lead.status in LeadStatus.LIVE:
        await _announce(repo, LEAD_ENDED, [lead], clock.now())
    await repo.delete(lead)
    await flush_or_422(session)
    return envelope.one("lead", out)
