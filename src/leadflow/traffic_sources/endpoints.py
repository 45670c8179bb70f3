"""`/api/v1/traffic_sources`: the generic CRUD, except that create and update refuse a
publisher id another source holds, the list hides archived sources (``archived=true`` lists
them), and ``DELETE`` archives (see :mod:`leadflow.traffic_sources.service`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.routing import APIRoute
from starlette.responses import Response

from leadflow.db.session import SessionDep, flush_or_422
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListQueryDep, ListSpec
from leadflow.kit.values import parse_bool
from leadflow.models import TrafficSource
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.traffic_sources.schemas import (
    TrafficSourceCreate,
    TrafficSourceOut,
    TrafficSourceUpdate,
)
from leadflow.traffic_sources.service import archive, check_user_id_free

RESOURCE = Resource(
    name="traffic_sources",
    root="traffic_source",
    roots="traffic_sources",
    repository=TrafficSourceRepository,
    create=TrafficSourceCreate,
    update=TrafficSourceUpdate,
    out=TrafficSourceOut,
    listing=ListSpec(
        model=TrafficSource,
        serializers={"traffic_source": TrafficSourceOut},
        sortable=("id", "name", "user_traffic_source_id", "created_at", "updated_at"),
        fulltext=TextColumns(("name", "user_traffic_source_id")),
        params=("archived",),
    ),
)
router = APIRouter(prefix="/api/v1/traffic_sources", tags=["traffic_sources"])
Reader = Annotated[Principal, Depends(require("traffic_sources", READ))]
Writer = Annotated[Principal, Depends(require("traffic_sources", WRITE))]
ONE = envelope.documented(RESOURCE.root, TrafficSourceOut)
WRITTEN_HERE = {("", "GET"), ("", "POST"), ("/{ref}", "PUT"), ("/{ref}", "DELETE")}


async def _load(repo: TrafficSourceRepository, ref: str) -> TrafficSource:
    row = await repo.get(ref)
    if row is None:
        raise TrackDriveError.not_found("traffic source")
    return row


@router.get(
    "",
    summary="List traffic sources",
    **envelope.documented(RESOURCE.roots, listing.listed_item(TrafficSourceOut), plural=True),
)
async def list_sources(
    principal: Reader,
    session: SessionDep,
    query: ListQueryDep,
    archived: Annotated[
        str | None, Query(description="true: only archived sources; default: active ones.")
    ] = None,
) -> Response:
    try:
        wanted = parse_bool(archived) if archived is not None and archived.strip() else False
    except ValueError as exc:
        raise TrackDriveError.field("archived", str(exc)) from None
    base = TrafficSourceRepository(session, principal.company_id).listed(archived=wanted)
    spec = RESOURCE.list_spec()
    page = await listing.fetch(session, spec, query, base, region=principal.default_region)
    return envelope.many(RESOURCE.roots, page.items, page.metadata)


@router.post("", summary="Create a traffic source", **ONE)
async def create_source(
    body: Annotated[TrafficSourceCreate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    repo = TrafficSourceRepository(session, principal.company_id)
    values: dict[str, Any] = body.model_dump(exclude_none=True)
    await check_user_id_free(repo, values.get("user_traffic_source_id"), None)
    now = clock.now()
    row = TrafficSource(company_id=principal.company_id, created_at=now, updated_at=now, **values)
    repo.add(row)
    await flush_or_422(session)
    return envelope.one(RESOURCE.root, TrafficSourceOut.model_validate(row))


@router.put("/{ref}", summary="Update a traffic source", **ONE)
async def update_source(
    ref: str,
    body: Annotated[TrafficSourceUpdate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    repo = TrafficSourceRepository(session, principal.company_id)
    row = await _load(repo, ref)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise TrackDriveError.field("name", "can't be blank")
    await check_user_id_free(repo, changes.get("user_traffic_source_id"), row.id)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    await flush_or_422(session)
    return envelope.one(RESOURCE.root, TrafficSourceOut.model_validate(row))


@router.delete("/{ref}", summary="Archive a traffic source (its leads keep it)", **ONE)
async def archive_source(
    ref: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    row = await _load(TrafficSourceRepository(session, principal.company_id), ref)
    archive(row, clock.now())
    await flush_or_422(session)
    return envelope.one(RESOURCE.root, TrafficSourceOut.model_validate(row))


def _generic(route: object) -> bool:
    if not isinstance(route, APIRoute):
        return True
    path = route.path.removeprefix(router.prefix)
    return not any((path, method) in WRITTEN_HERE for method in route.methods or ())


router.routes.extend(route for route in crud_router(RESOURCE).routes if _generic(route))
