"""`/api/v1/api_keys`: a company's key pairs for the company API (Basic auth).

Listing and showing are the generic CRUD routes. Creating answers the private key once and
deleting revokes instead of removing (the row records who could call, and until when), so
those two are written here.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from leadflow.api_keys.repository import ApiKeyRepository
from leadflow.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from leadflow.api_keys.service import create_key, forget_verified_keys_after_commit, revoke
from leadflow.db.session import SessionDep
from leadflow.kit import envelope
from leadflow.kit.auth import WRITE, Principal, require
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListSpec
from leadflow.models import ApiKey

RESOURCE = Resource(
    name="api_keys",
    root="api_key",
    roots="api_keys",
    repository=ApiKeyRepository,
    create=ApiKeyCreate,
    update=None,
    out=ApiKeyOut,
    listing=ListSpec(
        model=ApiKey,
        serializers={"api_key": ApiKeyOut},
        sortable=("id", "name", "created_at", "updated_at"),
        fulltext=TextColumns(("name", "public_key")),
    ),
)
PREFIX = f"/api/v1/{RESOURCE.name}"
GENERIC = {("GET", PREFIX), ("GET", PREFIX + "/{ref}")}
Writer = Annotated[Principal, Depends(require(RESOURCE.name, WRITE))]

router = APIRouter(prefix=PREFIX, tags=[RESOURCE.name])


@router.post(
    "",
    summary="Create a key pair (the answer shows its private key, once)",
    **envelope.documented(RESOURCE.root, ApiKeyCreated),
)
async def create_api_key(
    body: Annotated[ApiKeyCreate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    issued = await create_key(session, clock, principal, body)
    answer = ApiKeyCreated.model_validate(
        {
            **ApiKeyOut.model_validate(issued.row).model_dump(),
            "private_key": issued.keys.private_key,
        }
    )
    return envelope.one(RESOURCE.root, answer)


@router.delete(
    "/{ref}",
    summary="Revoke a key pair: it stops working at once on this process, within "
    "auth_cache_seconds on others",
    **envelope.documented(RESOURCE.root, ApiKeyOut),
)
async def revoke_api_key(
    request: Request, ref: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    row = await ApiKeyRepository(session, principal.company_id).get(ref)
    if row is None:
        raise TrackDriveError.not_found("api key")
    revoke(principal, row, clock.now())
    await session.flush()
    forget_verified_keys_after_commit(request, session)
    return envelope.one(RESOURCE.root, ApiKeyOut.model_validate(row))


router.routes.extend(
    route
    for route in crud_router(RESOURCE).routes
    if isinstance(route, APIRoute) and {(m, route.path) for m in route.methods or ()} & GENERIC
)
