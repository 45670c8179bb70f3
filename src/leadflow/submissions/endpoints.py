"""The LeadSail lead API (``X-API-Key``): submit a lead to the pipeline, store one without it,
list and show leads, and approve, deliver or repost one.

A new submission is committed before the answer leaves (a 200 means the worker will run it),
then the embedded worker, if this process has one, is woken to pick it up at once.
``POST``/``GET /api/v1/leads`` and ``GET /api/v1/leads/{leadId}`` are shared with the TrackDrive
dialect: their routes here only match requests that carry ``X-API-Key``.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from leadflow.campaigns.repository import CampaignRepository, FieldLabelRepository
from leadflow.db.session import SessionDep
from leadflow.kit.auth import READ, WRITE, Principal, require_api_key
from leadflow.kit.dependencies import ClockDep
from leadflow.submissions import service
from leadflow.submissions.repository import SubmittedLeadRepository
from leadflow.submissions.route import (
    ApiKeyRoute,
    LeadSailRoute,
    SubmissionAccepted,
    answer,
    documented,
    success,
)
from leadflow.submissions.serializer import accepted, lead_body, lead_details

leadsail = APIRouter(prefix="/api/v1/leads", tags=["lead submission"], route_class=LeadSailRoute)
shared = APIRouter(prefix="/api/v1/leads", tags=["lead submission"], route_class=ApiKeyRoute)
Reader = Annotated[Principal, Depends(require_api_key("leads", READ))]
Writer = Annotated[Principal, Depends(require_api_key("leads", WRITE))]
JsonObject = Annotated[dict[str, Any], Body()]
OptionalJsonObject = Annotated[dict[str, Any] | None, Body()]


class LeadListQuery(BaseModel):
    """``GET /api/v1/leads``: lists may be repeated or comma-separated."""

    cursor: str | None = Field(default=None, description="The last leadId of the previous page.")
    limit: int = Field(default=50, ge=1, le=100)
    campaign_ids: list[str] = Field(default_factory=list, alias="campaignIds")
    status: list[str] = Field(default_factory=list)
    search: str | None = Field(default=None, max_length=200)
    start_date: str | None = Field(default=None, alias="startDate")
    end_date: str | None = Field(default=None, alias="endDate")


def _repositories(session: AsyncSession, principal: Principal) -> service.Repositories:
    return service.Repositories(
        leads=SubmittedLeadRepository(session, principal.company_id),
        campaigns=CampaignRepository(session, principal.company_id),
        labels=FieldLabelRepository(session, principal.company_id),
    )


def _origin(request: Request) -> service.Origin:
    return service.Origin(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def _committed(request: Request, session: AsyncSession, stored: service.Stored) -> Response:
    """Commit, wake the worker, answer the documented submission body."""
    await session.commit()
    wake = getattr(request.app.state, "wake_worker", None)
    if callable(wake):
        wake()
    assert stored.submission is not None
    body = accepted(stored.lead, stored.submission, request.app.state.clock.now())
    return answer(body)


@leadsail.post(
    "/submit",
    summary="Submit a lead to the qualification and delivery pipeline",
    **documented("Submission", flat=SubmissionAccepted),
)
async def submit(
    body: JsonObject, request: Request, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    repos = _repositories(session, principal)
    stored = await service.store_lead(repos, body, _origin(request), clock.now(), submit=True)
    return await _committed(request, session, stored)


@leadsail.post(
    "/{lead_id}/repost",
    summary="Run a failed, rejected or error lead again",
    **documented("Repost", flat=SubmissionAccepted),
)
async def repost(
    lead_id: str,
    request: Request,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    body: OptionalJsonObject = None,
) -> Response:
    repos = _repositories(session, principal)
    stored = await service.repost(repos, lead_id, body or {}, clock.now())
    return await _committed(request, session, stored)


@leadsail.post(
    "/{lead_id}/deliver",
    summary="Deliver a lead to a campaign, skipping qualification",
    **documented("Delivery", flat=SubmissionAccepted),
)
async def deliver(
    lead_id: str,
    body: JsonObject,
    request: Request,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    repos = _repositories(session, principal)
    stored = await service.deliver(repos, lead_id, body, clock.now())
    return await _committed(request, session, stored)


@leadsail.post(
    "/{lead_id}/approve",
    summary="Approve, reject or reset a lead's approval",
    **documented("ApprovedLead"),
)
async def approve(
    lead_id: str, body: JsonObject, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    leads = SubmittedLeadRepository(session, principal.company_id)
    lead = await service.approve(leads, lead_id, body, clock.now())
    uuids = await leads.campaign_uuids([lead.campaign_id])
    return success(lead_body(lead, uuids))


@shared.post(
    "",
    summary="Store a lead without running the pipeline (X-API-Key)",
    operation_id="leadsail_store_lead",
    **documented("StoredLead"),
)
async def store(
    body: JsonObject, request: Request, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    repos = _repositories(session, principal)
    stored = await service.store_lead(repos, body, _origin(request), clock.now(), submit=False)
    uuids = await repos.leads.campaign_uuids([stored.lead.campaign_id])
    return success(lead_body(stored.lead, uuids), status=201 if stored.created else 200)


@shared.get(
    "",
    summary="List submitted leads, newest first (X-API-Key)",
    operation_id="leadsail_list_leads",
    **documented("LeadPage"),
)
async def list_leads(
    principal: Reader, session: SessionDep, query: Annotated[LeadListQuery, Query()]
) -> Response:
    repos = _repositories(session, principal)
    leads = repos.leads
    where = await service.lead_filter(
        repos,
        cursor=query.cursor,
        campaign_ids=query.campaign_ids,
        statuses=query.status,
        search=query.search,
        start_date=query.start_date,
        end_date=query.end_date,
    )
    rows = await leads.page(where, query.limit + 1)
    page, has_more = rows[: query.limit], len(rows) > query.limit
    uuids = await leads.campaign_uuids(lead.campaign_id for lead in page)
    return success(
        {
            "leads": [lead_body(lead, uuids) for lead in page],
            "nextCursor": page[-1].uuid if has_more and page else None,
            "hasMore": has_more,
        }
    )


@shared.get(
    "/{lead_id}",
    summary="A submitted lead with its submissions (X-API-Key)",
    operation_id="leadsail_show_lead",
    **documented("LeadDetails"),
)
async def show(lead_id: str, principal: Reader, session: SessionDep) -> Response:
    leads = SubmittedLeadRepository(session, principal.company_id)
    lead = await leads.by_uuid(lead_id)
    if lead is None:
        raise service.not_found(f"lead {lead_id!r}")
    submissions = await leads.submissions(lead.id)
    uuids = await leads.campaign_uuids([lead.campaign_id, *(s.campaign_id for s in submissions)])
    return success(lead_details(lead, submissions, uuids))


router = APIRouter()
router.include_router(leadsail)
router.include_router(shared)
