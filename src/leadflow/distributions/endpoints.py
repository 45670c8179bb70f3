"""``/api/v1/schedules/:id/distributions``: a router schedule's branches, TrackDrive dialect.

Distributions are part of their schedule, so the key needs the ``schedules`` permissions:
read to list or show, write to create, change or delete. The parent is looked up first, in the
caller's company: another company's schedule is a 404, a ``contact_caller`` schedule a 422 on
``schedule_id``. Intake reads a router's distributions afresh for every lead (one query), so
a change here routes the very next lead; nothing is cached that a write must clear.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from leadflow.db.session import SessionDep, flush_or_422
from leadflow.distributions.repository import DistributionRepository
from leadflow.distributions.schemas import (
    DistributionCreate,
    DistributionOut,
    DistributionUpdate,
)
from leadflow.distributions.service import (
    create_distribution,
    router_schedule,
    update_distribution,
)
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import ListQueryDep, ListSpec
from leadflow.models import Distribution, Schedule

ROOT, ROOTS = "distribution", "distributions"

router = APIRouter(prefix="/api/v1/schedules/{schedule_id}/distributions", tags=[ROOTS])
Reader = Annotated[Principal, Depends(require("schedules", READ))]
Writer = Annotated[Principal, Depends(require("schedules", WRITE))]

LISTING = ListSpec(
    model=Distribution,
    serializers={ROOT: DistributionOut},
    sortable=("id", "priority", "weight", "created_at", "updated_at"),
)
ONE = envelope.documented(ROOT, DistributionOut)


# The parent is resolved as a dependency, so it is settled (401, then 404 or 422 on
# schedule_id) before the body is validated: another company's schedule is a 404 whatever
# was sent, as for every other route.
async def _readable_router(schedule_id: str, principal: Reader, session: SessionDep) -> Schedule:
    return await router_schedule(session, principal.company_id, schedule_id)


async def _writable_router(schedule_id: str, principal: Writer, session: SessionDep) -> Schedule:
    return await router_schedule(session, principal.company_id, schedule_id)


ReadRouter = Annotated[Schedule, Depends(_readable_router)]
WriteRouter = Annotated[Schedule, Depends(_writable_router)]


async def _load(session: AsyncSession, schedule: Schedule, ref: str) -> Distribution:
    row = await DistributionRepository(session, schedule.company_id, schedule.id).get(ref)
    if row is None:
        raise TrackDriveError.not_found("distribution")
    return row


async def _readable(schedule: ReadRouter, ref: str, session: SessionDep) -> Distribution:
    return await _load(session, schedule, ref)


async def _writable(schedule: WriteRouter, ref: str, session: SessionDep) -> Distribution:
    return await _load(session, schedule, ref)


Readable = Annotated[Distribution, Depends(_readable)]
Writable = Annotated[Distribution, Depends(_writable)]


def _out(row: Distribution) -> DistributionOut:
    return DistributionOut.model_validate(row)


@router.get(
    "",
    summary="List a router schedule's distributions",
    **envelope.documented(ROOTS, listing.listed_item(DistributionOut), plural=True),
)
async def list_distributions(
    schedule: ReadRouter, principal: Reader, session: SessionDep, query: ListQueryDep
) -> Response:
    scoped = DistributionRepository(session, principal.company_id, schedule.id).scoped()
    page = await listing.fetch(session, LISTING, query, scoped, region=principal.default_region)
    return envelope.many(ROOTS, page.items, page.metadata)


@router.post("", summary="Add a distribution to a router schedule", **ONE)
async def create(
    schedule: WriteRouter,
    body: Annotated[DistributionCreate, Body()],
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    row = await create_distribution(session, schedule, body, clock.now())
    await flush_or_422(session)
    return envelope.one(ROOT, _out(row))


@router.get("/{ref}", summary="Show a distribution", **ONE)
async def show(row: Readable) -> Response:
    return envelope.one(ROOT, _out(row))


@router.put("/{ref}", summary="Update a distribution", **ONE)
async def update(
    schedule: WriteRouter,
    row: Writable,
    body: Annotated[DistributionUpdate, Body()],
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    await update_distribution(session, schedule, row, body, clock.now())
    await flush_or_422(session)
    return envelope.one(ROOT, _out(row))


@router.delete("/{ref}", summary="Delete a distribution", **ONE)
async def delete(schedule: WriteRouter, row: Writable, session: SessionDep) -> Response:
    out = _out(row)
    await DistributionRepository(session, schedule.company_id, schedule.id).delete(row)
    await flush_or_422(session)
    return envelope.one(ROOT, out)
