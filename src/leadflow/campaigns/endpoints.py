"""``/api/v1/campaigns`` (buyers' campaigns) and ``/api/v1/field_library`` in the LeadSail
dialect, authenticated by ``X-API-Key``; the key needs the ``campaigns`` permission."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from starlette.responses import Response

from leadflow.campaigns.repository import CampaignRepository, FieldLabelRepository
from leadflow.campaigns.schemas import CampaignOut
from leadflow.campaigns.service import (
    campaign_body,
    create_campaign,
    delete_campaign,
    replace_field_library,
    update_campaign,
)
from leadflow.db.session import SessionDep
from leadflow.kit.auth import READ, WRITE, Principal, require_api_key
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.kit.errors import LeadSailError
from leadflow.kit.leadsail import LeadSailRoute, documented, success
from leadflow.kit.query_params import leadsail_declared_params_only
from leadflow.models import Campaign

router = APIRouter(
    prefix="/api/v1",
    tags=["campaigns"],
    route_class=LeadSailRoute,
    dependencies=[Depends(leadsail_declared_params_only)],
)
Reader = Annotated[Principal, Depends(require_api_key("campaigns", READ))]
Writer = Annotated[Principal, Depends(require_api_key("campaigns", WRITE))]
JsonObject = Annotated[dict[str, Any], Body()]


async def _load(repo: CampaignRepository, ref: str) -> Campaign:
    campaign = await repo.by_ref(ref)
    if campaign is None:
        raise LeadSailError(404, "NOT_FOUND", f"campaign {ref!r} not found")
    return campaign


@router.get("/campaigns", summary="List campaigns", **documented("Campaigns", list[CampaignOut]))
async def list_campaigns(principal: Reader, session: SessionDep) -> Response:
    campaigns = await CampaignRepository(session, principal.company_id).all()
    return success([campaign_body(campaign) for campaign in campaigns])


@router.post(
    "/campaigns",
    summary="Create a campaign",
    status_code=201,
    **documented("Campaign", CampaignOut),
)
async def create(
    body: JsonObject,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    repo = CampaignRepository(session, principal.company_id)
    campaign = await create_campaign(repo, body, settings, clock.now())
    return success(campaign_body(campaign), status=201)


@router.get(
    "/campaigns/{campaign_id}",
    summary="Show a campaign (by id or code)",
    **documented("Campaign", CampaignOut),
)
async def show(campaign_id: str, principal: Reader, session: SessionDep) -> Response:
    campaign = await _load(CampaignRepository(session, principal.company_id), campaign_id)
    return success(campaign_body(campaign))


@router.put(
    "/campaigns/{campaign_id}",
    summary="Update a campaign (fields given replace)",
    **documented("Campaign", CampaignOut),
)
async def update(
    campaign_id: str,
    body: JsonObject,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    repo = CampaignRepository(session, principal.company_id)
    campaign = await _load(repo, campaign_id)
    await update_campaign(repo, campaign, body, settings, clock.now())
    return success(campaign_body(campaign))


@router.delete(
    "/campaigns/{campaign_id}",
    summary="Delete a campaign, or archive it when leads or campaigns refer to it",
    **documented("DeletedCampaign"),
)
async def delete(
    campaign_id: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    repo = CampaignRepository(session, principal.company_id)
    campaign = await _load(repo, campaign_id)
    deleted = await delete_campaign(repo, campaign, clock.now())
    return success({"id": campaign.uuid, "deleted": deleted, "archived": not deleted})


@router.get(
    "/field_library",
    summary="The field library: questionnaire key → label",
    **documented("FieldLibrary", dict[str, str]),
)
async def show_field_library(principal: Reader, session: SessionDep) -> Response:
    return success(await FieldLabelRepository(session, principal.company_id).labels())


@router.put(
    "/field_library",
    summary="Replace the field library",
    **documented("FieldLibrary", dict[str, str]),
)
async def put_field_library(
    body: JsonObject, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    repo = FieldLabelRepository(session, principal.company_id)
    return success(await replace_field_library(repo, body, clock.now()))
