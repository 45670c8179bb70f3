"""Saving campaigns and the field library: validation of the whole document, references to
other campaigns, and the choice between deleting and archiving. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from leadflow.campaigns.repository import CampaignRepository, FieldLabelRepository
from leadflow.campaigns.schemas import (
    CampaignDocument,
    campaign_references,
    keep_masked_secrets,
    masked,
    outbound_urls,
)
from leadflow.kit.errors import LeadSailError
from leadflow.kit.outbound_urls import check_outbound_url
from leadflow.models import Campaign, CampaignStatus, FieldLabel
from leadflow.settings import Settings
from leadflow.submissions.schemas import validation_details

MAX_LABELS = 5000


def invalid(details: list[dict[str, str]]) -> LeadSailError:
    return LeadSailError(422, "VALIDATION_ERROR", "Validation failed", details)


def campaign_body(campaign: Campaign) -> dict[str, Any]:
    """The campaign as the API shows it: ``id`` is the uuid; secrets masked."""
    return {
        "id": campaign.uuid,
        "name": campaign.name,
        "code": campaign.code,
        "status": campaign.status,
        "timeZone": campaign.time_zone,
        "duplicateWindowDays": campaign.duplicate_window_days,
        **masked(campaign.config or {}),
        "createdAt": campaign.created_at.isoformat(),
        "updatedAt": campaign.updated_at.isoformat(),
    }


def _stored_document(campaign: Campaign) -> dict[str, Any]:
    return {
        **(campaign.config or {}),
        "name": campaign.name,
        "code": campaign.code,
        "status": campaign.status,
        "timeZone": campaign.time_zone,
        "duplicateWindowDays": campaign.duplicate_window_days,
    }


async def _checked(
    repo: CampaignRepository,
    body: Any,
    settings: Settings,
    current: Campaign | None,
) -> CampaignDocument:
    """The document, or a 422 naming every problem: its shape, its code, its URLs and the
    campaigns it names (existing, the company's own, never itself)."""
    if not isinstance(body, dict):
        raise invalid([{"field": "body", "message": "must be a JSON object"}])
    try:
        document = CampaignDocument.model_validate(body)
    except ValidationError as exc:
        raise invalid(validation_details(exc)) from None
    details: list[dict[str, str]] = []
    if await repo.code_taken(document.code, current.id if current else None):
        details.append({"field": "code", "message": "is already used by another campaign"})
    config = document.config()
    for path, url in outbound_urls(config):
        try:
            check_outbound_url(
                url, settings.allow_private_urls, allow_loopback=settings.allow_loopback_urls
            )
        except ValueError as exc:
            details.append({"field": path, "message": str(exc)})
    references = list(campaign_references(config))
    found = await repo.by_refs([ref for _, ref in references])
    itself = {current.uuid, current.code} if current else set()
    for path, ref in references:
        if ref in itself or ref == document.code:
            details.append({"field": path, "message": "must not name the campaign itself"})
        elif ref not in found:
            details.append({"field": path, "message": f"no campaign {ref!r} in your company"})
    if details:
        raise invalid(details)
    return document


async def create_campaign(
    repo: CampaignRepository, body: Any, settings: Settings, now: datetime
) -> Campaign:
    document = await _checked(repo, body, settings, None)
    campaign = Campaign(
        company_id=repo.company_id,
        config=document.config(),
        created_at=now,
        updated_at=now,
        **document.columns(),
    )
    repo.add(campaign)
    await repo.session.flush()
    return campaign


async def update_campaign(
    repo: CampaignRepository, campaign: Campaign, body: Any, settings: Settings, now: datetime
) -> Campaign:
    """``body`` is merged onto the stored campaign (top-level keys replace), then the whole is
    validated again; masked secrets sent back keep their stored values, unless a URL they
    are sent to moved to another host (a 422: re-enter them)."""
    if not isinstance(body, dict):
        raise invalid([{"field": "body", "message": "must be a JSON object"}])
    stored = _stored_document(campaign)
    merged, moved_secrets = keep_masked_secrets({**stored, **body}, stored)
    if moved_secrets:
        raise invalid(moved_secrets)
    document = await _checked(repo, merged, settings, campaign)
    for column, value in document.columns().items():
        setattr(campaign, column, value)
    campaign.config = document.config()
    campaign.updated_at = now
    await repo.session.flush()
    return campaign


async def delete_campaign(repo: CampaignRepository, campaign: Campaign, now: datetime) -> bool:
    """Delete the campaign, or archive it when submissions or another campaign refer to it (a
    lead's history must keep naming the campaign it went to). True when it was deleted."""
    referenced = any(
        ref in (campaign.uuid, campaign.code)
        for other in await repo.all()
        if other.id != campaign.id
        for _, ref in campaign_references(other.config or {})
    )
    if referenced or await repo.has_submissions(campaign.id):
        campaign.status = CampaignStatus.ARCHIVED
        campaign.updated_at = now
        await repo.session.flush()
        return False
    await repo.delete(campaign)
    await repo.session.flush()
    return True


async def replace_field_library(
    repo: FieldLabelRepository, body: Any, now: datetime
) -> dict[str, str]:
    """Replace the company's field library with ``body`` (key → label)."""
    if not isinstance(body, dict):
        raise invalid([{"field": "body", "message": "must be an object of key → label"}])
    details = []
    if len(body) > MAX_LABELS:
        details.append({"field": "body", "message": f"at most {MAX_LABELS} fields"})
    for key, label in body.items():
        if not key.strip() or len(key) > 200:
            details.append({"field": key, "message": "key must be 1 to 200 characters"})
        if not isinstance(label, str) or not label.strip() or len(label) > 500:
            details.append({"field": key, "message": "label must be text of 1 to 500 characters"})
    if details:
        raise invalid(details)
    await repo.clear()
    for key, label in body.items():
        repo.add(
            FieldLabel(
                company_id=repo.company_id,
                key=key,
                label=label.strip(),
                created_at=now,
                updated_at=now,
            )
        )
    await repo.session.flush()
    return {key: label.strip() for key, label in body.items()}
