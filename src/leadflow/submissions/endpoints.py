"""The LeadSail lead API (``X-API-Key``): submit a lead to the pipeline, store one without it,
list and show leads, and approve, deliver or repost one.

Writes are group-committed units (see ``service``): a 200 means the submission is on disk,
then the embedded worker, if this process has one, is woken to pick it up at once.
``POST``/``GET /api/v1/leads`` and ``GET /api/v1/leads/{leadId}`` are shared with the TrackDrive
dialect: their routes here only match requests that carry ``X-API-Key``.
"""

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.campaigns.repository import CampaignRepository
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.session import SessionDep, end_before_group_commit
from leadflow.db.statements import Sql
from leadflow.kit.auth import READ, WRITE, Principal, require_api_key
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.leadsail import (
    ApiKeyRoute,
    LeadSailRoute,
    SubmissionAccepted,
    answer,
    documented,
    success,
)
from leadflow.kit.listing import with_csv
from leadflow.submissions import service
from leadflow.submissions.listing import csv_export, lead_filter
from leadflow.submissions.repository import SubmittedLeadRepository
from leadflow.submissions.serializer import accepted, lead_body, lead_details

leadsail = APIRouter(prefix="/api/v1/leads", tags=["lead submission"], route_class=LeadSailRoute)
shared = APIRouter(prefix="/api/v1/leads", tags=["lead submission"], route_class=ApiKeyRoute)
Reader = Annotated[Principal, Depends(require_api_key("leads", READ))]
Writer = Annotated[Principal, Depends(require_api_key("leads", WRITE))]
JsonObject = Annotated[dict[str, Any], Body()]
OptionalJsonObject = Annotated[dict[str, Any] | None, Body()]


class LeadListQuery(BaseModel):
    """``GET /api/v1/leads``: lists may be repeated or comma-separated; any other parameter
    is refused by name (a mistyped filter must not list every lead)."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, description="The last leadId of the previous page.")
    limit: int = Field(default=50, ge=1, le=100)
    campaign_ids: list[str] = Field(default_factory=list, alias="campaignIds")
    status: list[str] = Field(default_factory=list)
    search: str | None = Field(default=None, max_length=200)
    start_date: str | None = Field(default=None, alias="startDate")
    end_date: str | None = Field(default=None, alias="endDate")
    format: Literal["json", "csv"] | None = Field(
        default=None,
        description="csv: every matching lead (cursor = where to start, limit aside) streamed "
        "as CSV, one column per field; Accept: text/csv does the same.",
    )
    columns: list[str] = Field(
        default_factory=list,
        description="A CSV export's columns, in this order (leadId,email,address...); "
        "every column when left out. Not for JSON.",
    )


def _origin(request: Request) -> service.Origin:
    return service.Origin(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _lock_key(lead_ref: Any) -> int:
    """Units touching one lead run in one order in every batch (their row locks cannot
    deadlock across processes); units creating a lead need no order."""
    if not isinstance(lead_ref, str):
        return 0
    digest = hashlib.blake2b(lead_ref.strip().encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


async def _committed(
    request: Request, session: AsyncSession, unit: Callable[[Sql], service.Accepted], key: int
) -> service.Accepted:
    """Run ``unit`` in the next group commit; return once it is committed."""
    await end_before_group_commit(session)
    committer: GroupCommitter = app_state(request).committer
    return await committer.run(unit, key)


def _submission_answer(request: Request, done: service.Accepted) -> Response:
    """Wake the worker for the committed submission; answer the documented body."""
    wake = app_state(request).wake_worker
    if callable(wake):
        wake()
    assert done.submission_uuid is not None
    assert done.submission_number is not None
    now = app_state(request).clock.now()
    return answer(accepted(done.lead_uuid, done.submission_uuid, done.submission_number, now))


@leadsail.post(
    "/submit",
    summary="Submit a lead to the qualification and delivery pipeline",
    **documented("Submission", flat=SubmissionAccepted),
)
async def submit(
    body: JsonObject, request: Request, principal: Writer, session: SessionDep
) -> Response:
    # The app's clock read directly: ClockDep is a plain function, which FastAPI runs on its
    # thread pool (a thread hop per request, measurable at hundreds of submissions/s).
    now, origin, company_id = app_state(request).clock.now(), _origin(request), principal.company_id
    checked = service.checked_submission(body, now)

    def unit(sql: Sql) -> service.Accepted:
        return service.store_lead(sql, company_id, body, checked, origin, now, submit=True)

    done = await _committed(request, session, unit, _lock_key(body.get("leadId")))
    return _submission_answer(request, done)


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
    now, company_id = clock.now(), principal.company_id
    parsed = service.parse(service.RepostRequest, body or {})

    def unit(sql: Sql) -> service.Accepted:
        return service.repost(sql, company_id, lead_id, parsed, now)

    done = await _committed(request, session, unit, _lock_key(lead_id))
    return _submission_answer(request, done)


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
    now, company_id = clock.now(), principal.company_id
    parsed = service.parse(service.DeliverRequest, body)

    def unit(sql: Sql) -> service.Accepted:
        return service.deliver(sql, company_id, lead_id, parsed, now)

    done = await _committed(request, session, unit, _lock_key(lead_id))
    return _submission_answer(request, done)


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
    **documented("StoredLead", shared=True),
)
async def store(
    body: JsonObject, request: Request, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    now, origin, company_id = clock.now(), _origin(request), principal.company_id
    checked = service.checked_submission(body, now)

    def unit(sql: Sql) -> service.Accepted:
        return service.store_lead(sql, company_id, body, checked, origin, now, submit=False)

    done = await _committed(request, session, unit, _lock_key(body.get("leadId")))
    leads = SubmittedLeadRepository(session, company_id)
    lead = await leads.by_uuid(done.lead_uuid)
    assert lead is not None
    uuids = await leads.campaign_uuids([lead.campaign_id])
    return success(lead_body(lead, uuids), status=201 if done.created else 200)


@shared.get(
    "",
    summary="List submitted leads, newest first (X-API-Key)",
    operation_id="leadsail_list_leads",
    **with_csv(documented("LeadPage", shared=True)),
)
async def list_leads(
    request: Request,
    principal: Reader,
    session: SessionDep,
    query: Annotated[LeadListQuery, Query()],
) -> Response:
    leads = SubmittedLeadRepository(session, principal.company_id)
    campaigns = CampaignRepository(session, principal.company_id)
    where = await lead_filter(
        leads,
        campaigns,
        cursor=query.cursor,
        campaign_ids=query.campaign_ids,
        statuses=query.status,
        search=query.search,
        start_date=query.start_date,
        end_date=query.end_date,
    )
    accepts_csv = "text/csv" in request.headers.get("accept", "").lower()
    if query.format == "csv" or (accepts_csv and query.format != "json"):
        return await csv_export(
            app_state(request).sessionmaker, principal.company_id, where, query.columns
        )
    if query.columns:
        message = "chooses a CSV export's columns: add format=csv"
        raise service.invalid([{"field": "columns", "message": message}])
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
    **documented("LeadDetails", shared=True),
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
