"""`/api/v1/tokens`: the token names a company's leads carry, and those of one schedule's or
offer's leads (``/fields?lead_token=``), with counts, so a user can see what publishers send
before mapping the names anywhere."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from leadflow.db.session import SessionDep
from leadflow.kit import envelope
from leadflow.kit.auth import READ, Principal, require
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.query_params import declared_params_only
from leadflow.tokens.repository import TokenRepository
from leadflow.tokens.schemas import TokenCount

router = APIRouter(
    prefix="/api/v1/tokens", tags=["tokens"], dependencies=[Depends(declared_params_only)]
)
Reader = Annotated[Principal, Depends(require("tokens", READ))]
LISTED = envelope.documented("tokens", TokenCount, plural=True)


def _listed(counts: list[tuple[str, int]]) -> Response:
    items = [TokenCount(name=name, count=count) for name, count in counts]
    return envelope.many("tokens", items, {"total_count": len(items)})


@router.get("", summary="Token names the company's leads carry, with counts", **LISTED)
async def list_tokens(principal: Reader, session: SessionDep) -> Response:
    return _listed(await TokenRepository(session, principal.company_id).counts())


@router.get("/fields", summary="Token names a schedule's or offer's leads carry", **LISTED)
async def token_fields(
    principal: Reader,
    session: SessionDep,
    lead_token: Annotated[
        str, Query(max_length=200, description="A schedule's or an offer's leads_api_key.")
    ],
) -> Response:
    repo = TokenRepository(session, principal.company_id)
    owner = await repo.owner(lead_token)
    if owner is None:
        raise TrackDriveError.unauthorized("unknown lead_token", field="lead_token")
    return _listed(await repo.counts(owner))
