"""``/api/v1/scheduled_callbacks``: list, show and schedule calls promised at a set time.

A callback changes a lead, so the key needs the ``leads`` permissions: read to list or show,
write to schedule.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from starlette.responses import Response

from leadflow.db.session import SessionDep, flush_or_422
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import ListQueryDep, ListSpec, choice_filter, id_filter
from leadflow.models import ScheduledCallback
from leadflow.scheduled_callbacks.repository import ScheduledCallbackRepository
from leadflow.scheduled_callbacks.schemas import ScheduledCallbackCreate, ScheduledCallbackOut
from leadflow.scheduled_callbacks.service import schedule_callback

ROOT, ROOTS = "scheduled_callback", "scheduled_callbacks"

router = APIRouter(prefix=f"/api/v1/{ROOTS}", tags=[ROOTS])
Reader = Annotated[Principal, Depends(require("leads", READ))]
Writer = Annotated[Principal, Depends(require("leads", WRITE))]

LISTING = ListSpec(
    model=ScheduledCallback,
    serializers={ROOT: ScheduledCallbackOut},
    sortable=("id", "place_call_at", "created_at", "updated_at"),
    filters={
        "lead_id": id_filter("lead_id"),
        "schedule_id": id_filter("schedule_id"),
        "status": choice_filter("status", ScheduledCallback.STATUSES),
    },
)


@router.get(
    "",
    summary="List scheduled callbacks",
    **envelope.documented(ROOTS, listing.listed_item(ScheduledCallbackOut), plural=True),
)
async def list_callbacks(principal: Reader, session: SessionDep, query: ListQueryDep) -> Response:
    scoped = ScheduledCallbackRepository(session, principal.company_id).scoped()
    page = await listing.fetch(session, LISTING, query, scoped, region=principal.default_region)
    return envelope.many(ROOTS, page.items, page.metadata)


@router.get(
    "/{ref}",
    summary="Show a scheduled callback",
    **envelope.documented(ROOT, ScheduledCallbackOut),
)
async def show_callback(ref: str, principal: Reader, session: SessionDep) -> Response:
    callback = await ScheduledCallbackRepository(session, principal.company_id).get(ref)
    if callback is None:
        raise TrackDriveError.not_found("scheduled callback")
    return envelope.one(ROOT, ScheduledCallbackOut.model_validate(callback))


@router.post(
    "",
    summary="Schedule a callback for a lead",
    **envelope.documented(ROOT, ScheduledCallbackOut),
)
async def create_callback(
    body: Annotated[ScheduledCallbackCreate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    repo = ScheduledCallbackRepository(session, principal.company_id)
    callback = await schedule_callback(repo, body, principal.default_region, clock.now())
    await flush_or_422(session)
    return envelope.one(ROOT, ScheduledCallbackOut.model_validate(callback))
