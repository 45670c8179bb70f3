"""Submitted leads (the LeadSail half): their list and search, the lead page with its
submissions, approve / deliver / repost, and a campaign's "send a test lead".

A submitted lead's page is ``/leads/{leadId}`` (its uuid), so one lead URL serves both halves:
this router is mounted before the TrackDrive leads pages and matches only uuids. Writes are
the submissions API's own units of work (``service.store_lead``, ``repost``, ``deliver``)
run through the group commit, then the worker is woken, exactly as the API does; their 422s
and 409s are shown on the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.campaigns.repository import CampaignRepository
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.session import SessionDep
from leadflow.db.statements import Sql
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import LeadSailError, TrackDriveError
from leadflow.models import SubmittedLead
from leadflow.submissions import service
from leadflow.submissions.endpoints import _lock_key
from leadflow.submissions.listing import csv_export, lead_filter
from leadflow.submissions.repository import SubmittedLeadRepository
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.pages.campaigns import campaign_of
from leadflow.web.pages.submission_views import section
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
DONE = {
    "approve": "The approval was recorded.",
    "deliver": "A manual submission was made: the worker delivers it now.",
    "repost": "A repost submission was made: the worker runs it now.",
}


async def _run(
    request: Request, unit: Callable[[Sql], service.Accepted], key: int
) -> service.Accepted:
    """Run a submissions unit in the next group commit, then wake the worker (the API's own
    path: the page holds no transaction while it waits, so SQLite's write lock is free)."""
    committer: GroupCommitter = app_state(request).committer
    done = await committer.run(unit, key)
    wake = app_state(request).wake_worker
    if callable(wake):
        wake()
    return done


async def submitted_matches(
    db: SessionDep, company_id: int, q: str, limit: int
) -> tuple[list[SubmittedLead], dict[int, str]]:
    """The newest submitted leads matching ``q`` (all, when empty), and campaign names: the
    leads list shows them beside the TrackDrive leads, so one search finds both halves."""
    leads = SubmittedLeadRepository(db, company_id)
    campaigns = CampaignRepository(db, company_id)
    try:
        where = await lead_filter(
            leads,
            campaigns,
            cursor=None,
            campaign_ids=[],
            statuses=[],
            search=q.strip()[:200] or None,
            start_date=None,
            end_date=None,
        )
    except LeadSailError:
        return [], {}
    rows = list(await leads.page(where, limit))
    return rows, {c.id: c.name for c in await campaigns.all()} if rows else {}


@router.get("/submissions")
async def submitted_leads(
    request: Request,
    user: UserDep,
    db: SessionDep,
    q: str = "",
    status: str = "",
    campaign: str = "",
    cursor: str = "",
) -> Response:
    """Newest first, with the API's filters (search by name, e-mail, phone or lead id)."""
    leads = SubmittedLeadRepository(db, user.company_id)
    campaigns = CampaignRepository(db, user.company_id)
    errors: dict[str, list[str]] = {}
    rows: list[SubmittedLead] = []
    try:
        where = await lead_filter(
            leads,
            campaigns,
            cursor=cursor or None,
            campaign_ids=[campaign] if campaign else [],
            statuses=[status] if status else [],
            search=q[:200] or None,
            start_date=None,
            end_date=None,
        )
        rows = list(await leads.page(where, PER_PAGE + 1))
    except LeadSailError as exc:
        for detail in exc.details:
            errors.setdefault(str(detail["field"]), []).append(str(detail["message"]))
    names = {c.id: c.name for c in await campaigns.all()}
    return page(
        request,
        "submissions/list.html",
        user=user,
        leads=rows[:PER_PAGE],
        next_cursor=rows[PER_PAGE - 1].uuid if len(rows) > PER_PAGE else None,
        campaign_names=names,
        campaigns=await campaigns.all(),
        q=q,
        status=status,
        campaign=campaign,
        errors=errors,
    )


@router.get("/submissions/export.csv")
async def export_submitted_leads(
    request: Request,
    user: UserDep,
    db: SessionDep,
    q: str = "",
    status: str = "",
    campaign: str = "",
) -> Response:
    """Every submitted lead the list's current filters match (not just the page shown), as
    CSV: the API's ``format=csv`` export with the same filter."""
    try:
        where = await lead_filter(
            SubmittedLeadRepository(db, user.company_id),
            CampaignRepository(db, user.company_id),
            cursor=None,
            campaign_ids=[campaign] if campaign else [],
            statuses=[status] if status else [],
            search=q[:200] or None,
            start_date=None,
            end_date=None,
        )
    except LeadSailError as exc:
        messages = {str(d["field"]): [str(d["message"])] for d in exc.details}
        raise TrackDriveError(422, messages) from None
    return await csv_export(app_state(request).sessionmaker, user.company_id, where)


async def _submitted(db: SessionDep, user: WebUser, ref: UUID | str) -> SubmittedLead:
    lead = await SubmittedLeadRepository(db, user.company_id).by_uuid(str(ref))
    if lead is None:
        raise PageNotFoundError
    return lead


@router.get("/leads/{lead_uuid:uuid}")
async def submitted_lead(
    request: Request, lead_uuid: UUID, user: UserDep, db: SessionDep, done: str = ""
) -> Response:
    lead = await _submitted(db, user, lead_uuid)
    return page(
        request,
        "submissions/lead.html",
        user=user,
        lead=lead,
        submitted=await section(db, user.company_id, lead),
        flash=DONE.get(done),
    )


async def _refused(
    request: Request, user: WebUser, ref: UUID, error: LeadSailError, values: dict[str, str]
) -> Response:
    """The lead page again with the API's refusal next to the form that caused it."""
    async with app_state(request).sessionmaker() as db:
        lead = await _submitted(db, user, ref)
        submitted = await section(db, user.company_id, lead)
    messages = [f"{d['field']}: {d['message']}" for d in error.details] or [error.message]
    return page(
        request,
        "submissions/lead.html",
        status_code=error.status,
        user=user,
        lead=lead,
        submitted=submitted,
        errors={values.get("operation", "base"): messages},
        values=values,
    )


@router.post("/leads/{lead_uuid:uuid}/approve")
async def approve(
    request: Request, lead_uuid: UUID, user: UserDep, form: CsrfDep, clock: ClockDep
) -> Response:
    body: dict[str, Any] = {"status": str(form.get("status") or "")}
    reason = str(form.get("reason") or "").strip()
    if reason:
        body["reason"] = reason
    try:
        async with app_state(request).sessionmaker() as db:
            leads = SubmittedLeadRepository(db, user.company_id)
            await service.approve(leads, str(lead_uuid), body, clock.now())
            await db.commit()
    except LeadSailError as exc:
        if exc.status == 404:
            raise PageNotFoundError from None
        return await _refused(request, user, lead_uuid, exc, {"operation": "approve", **body})
    return redirect(request, f"/leads/{lead_uuid}?done=approve")


@router.post("/leads/{lead_uuid:uuid}/{operation}")
async def deliver_or_repost(
    request: Request,
    lead_uuid: UUID,
    operation: str,
    user: UserDep,
    form: CsrfDep,
    clock: ClockDep,
) -> Response:
    """``deliver`` (to the chosen campaign, skipping qualification) or ``repost`` (a failed,
    rejected or error lead, optionally with changed fields): asked first, then done."""
    if operation not in ("deliver", "repost"):
        raise PageNotFoundError
    values = {
        "operation": operation,
        "campaignId": str(form.get("campaignId") or ""),
        "modifiedPayload": str(form.get("modifiedPayload") or "").strip(),
    }
    if operation == "deliver" and not values["campaignId"]:
        chosen = [{"field": "campaignId", "message": "choose the campaign to deliver to"}]
        return await _refused(request, user, lead_uuid, service.invalid(chosen), values)
    async with app_state(request).sessionmaker() as db:
        lead = await _submitted(db, user, lead_uuid)
        target = await CampaignRepository(db, user.company_id).by_ref(values["campaignId"])
    if form.get("confirmed") != "1":
        return page(
            request,
            "submissions/confirm.html",
            user=user,
            lead=lead,
            operation=operation,
            values=values,
            target=target,
        )
    now, company_id, ref = clock.now(), user.company_id, str(lead_uuid)
    try:
        if operation == "deliver":
            parsed_deliver = service.parse(
                service.DeliverRequest, {"campaignId": values["campaignId"]}
            )
            await _run(
                request,
                lambda sql: service.deliver(sql, company_id, ref, parsed_deliver, now),
                _lock_key(ref),
            )
        else:
            body = {}
            if values["modifiedPayload"]:
                try:
                    body["modifiedPayload"] = json.loads(values["modifiedPayload"])
                except json.JSONDecodeError as exc:
                    details = [{"field": "modifiedPayload", "message": f"is not JSON: {exc.msg}"}]
                    raise service.invalid(details) from None
            parsed_repost = service.parse(service.RepostRequest, body)
            await _run(
                request,
                lambda sql: service.repost(sql, company_id, ref, parsed_repost, now),
                _lock_key(ref),
            )
    except LeadSailError as exc:
        return await _refused(request, user, lead_uuid, exc, values)
    return redirect(request, f"/leads/{lead_uuid}?done={operation}")


@router.post("/campaigns/{ref}/test_lead")
async def send_test_lead(
    request: Request, ref: str, user: UserDep, form: CsrfDep, clock: ClockDep
) -> Response:
    """An ``isTest`` submission to this campaign through ``POST /leads/submit``'s own unit;
    the next page shows it go through the pipeline (the request sent, the buyer's answer)."""
    async with app_state(request).sessionmaker() as db:
        campaign = await campaign_of(db, user, ref)
    text = str(form.get("test_lead") or "")
    now, company_id = clock.now(), user.company_id
    try:
        try:
            given = json.loads(text or "{}")
        except json.JSONDecodeError as exc:
            raise service.invalid(
                [{"field": "body", "message": f"is not JSON: {exc.msg}"}]
            ) from None
        if not isinstance(given, dict):
            raise service.invalid([{"field": "body", "message": "must be a JSON object"}])
        body = {**given, "campaignId": campaign.uuid, "isTest": True}
        checked = service.checked_submission(body, now)
        origin = service.Origin(ip_address=None, user_agent="Leadflow web app (test lead)")

        def unit(sql: Sql) -> service.Accepted:
            return service.store_lead(sql, company_id, body, checked, origin, now, submit=True)

        done = await _run(request, unit, 0)
    except LeadSailError as exc:
        messages = [f"{d['field']}: {d['message']}" for d in exc.details] or [exc.message]
        return page(
            request,
            "submissions/test_refused.html",
            status_code=exc.status,
            user=user,
            campaign=campaign,
            errors={"test_lead": messages},
            test_lead=text,
        )
    return redirect(request, f"/campaigns/{campaign.uuid}/test_leads/{done.lead_uuid}")


@router.get("/campaigns/{ref}/test_leads/{lead_uuid:uuid}")
async def test_lead_result(
    request: Request, ref: str, lead_uuid: UUID, user: UserDep, db: SessionDep
) -> Response:
    campaign = await campaign_of(db, user, ref)
    lead = await _submitted(db, user, lead_uuid)
    return page(
        request,
        "submissions/test_result.html",
        user=user,
        campaign=campaign,
        lead=lead,
        submitted=await section(db, user.company_id, lead),
    )
