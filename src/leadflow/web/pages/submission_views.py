"""A submitted lead's submissions as pages show them: each trip's pipeline steps, each
delivery attempt's request and the buyer's answer (credentials in URLs masked), and which of
approve, deliver and repost apply now.

Read through the submissions API's own repository and serializer, so the page shows what
``GET /api/v1/leads/{leadId}`` answers. The lead page includes ``leads/_submissions.html``
with a :class:`SubmissionsSection` from :func:`section_for`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.campaigns.repository import CampaignRepository
from leadflow.campaigns.schemas import MASK
from leadflow.models import Campaign, Lead, SubmittedLead
from leadflow.submissions.repository import SubmittedLeadRepository
from leadflow.submissions.serializer import lead_details
from leadflow.submissions.service import REPOSTABLE

# Query parameters whose values are credentials (as the campaigns API masks header names).
_SECRET_NAME = re.compile(r"auth|token|secret|key|password|cookie|sig", re.IGNORECASE)
# A submission still on its way through the pipeline: its page refreshes itself.
UNFINISHED = ("new", "pending", "processing", "queued")


def masked_url(url: Any) -> str:
    """``url`` with the value of each credential-like query parameter replaced by the mask."""
    if not isinstance(url, str) or "?" not in url:
        return "" if url is None else str(url)
    parts = urlsplit(url)
    query = [(k, MASK if _SECRET_NAME.search(k) else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def _pretty(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class StepView:
    step: str
    outcome: str
    campaign: str
    reason: str
    # Only delivery steps: the request sent and the buyer's answer, as recorded.
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    response_body: str = ""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    # Only payload steps: the body built for the buyer.
    payload: str = ""
    # Only ping/post auction steps (ping, delivery, auction): their figures, and a ping's body.
    auction: dict[str, Any] = field(default_factory=dict)
    sent: str = ""


@dataclass(frozen=True)
class SubmissionView:
    uuid: str
    number: int
    type: str
    status: str
    campaign: str
    created_at: datetime
    qualification: dict[str, Any]
    routing: dict[str, Any]
    delivery: dict[str, Any]
    steps: list[StepView]

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED


@dataclass(frozen=True)
class SubmissionsSection:
    """What ``leads/_submissions.html`` shows for one submitted lead."""

    lead: SubmittedLead
    submissions: list[SubmissionView]
    campaigns: list[Campaign]
    can_repost: bool
    status: str

    @property
    def unfinished(self) -> bool:
        return any(s.unfinished for s in self.submissions)


def _step(raw: dict[str, Any], names: dict[str, str]) -> StepView:
    ref = str(raw.get("campaignId") or "")
    request = raw.get("request")
    if isinstance(request, dict):
        request = {**request, "url": masked_url(request.get("url"))}
    response = raw.get("response") if isinstance(raw.get("response"), dict) else None
    return StepView(
        step=str(raw.get("step", "")),
        outcome=str(raw.get("outcome", "")),
        campaign=names.get(ref, ref),
        reason=str(raw.get("reason") or ""),
        request=request if isinstance(request, dict) else None,
        response=response,
        response_body=_pretty((response or {}).get("body")),
        attempts=[a for a in raw.get("attempts") or [] if isinstance(a, dict)],
        payload=_pretty(raw.get("payload")) if raw.get("step") == "payload" else "",
        auction=_auction_figures(raw, names),
        sent=_pretty(request.get("payload"))
        if raw.get("step") == "ping" and isinstance(request, dict)
        else "",
    )


# What a ping/post auction adds to a step (docs/ping-post.md), in the order it is shown.
_AUCTION_KEYS = (
    "bid",
    "pingId",
    "priority",
    "durationMs",
    "buyerCampaignId",
    "revenue",
    "bids",
    "decisionMs",
    "deadlineMs",
    "floor",
)


def _auction_figures(raw: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The auction's figures on a ``ping``, ``delivery`` or ``auction`` step (a direct
    delivery's step has none of them); the winner named as the campaign list names it."""
    figures = {key: raw[key] for key in _AUCTION_KEYS if raw.get(key) is not None}
    winner = figures.get("buyerCampaignId")
    if winner is not None:
        figures["buyerCampaignId"] = names.get(str(winner), str(winner))
    return figures


def _submission(body: dict[str, Any], names: dict[str, str]) -> SubmissionView:
    delivery = dict(body.get("delivery") or {})
    if "url" in delivery:
        delivery["url"] = masked_url(delivery["url"])
    ref = str(body.get("campaignId") or "")
    return SubmissionView(
        uuid=body["submissionId"],
        number=int(body["submissionNumber"]),
        type=str(body["type"]),
        status=str(body["status"]),
        campaign=names.get(ref, ref),
        created_at=datetime.fromisoformat(str(body["createdAt"])),
        qualification=dict(body.get("qualification") or {}),
        routing=dict(body.get("routing") or {}),
        delivery=delivery,
        steps=[_step(step, names) for step in body.get("steps") or [] if isinstance(step, dict)],
    )


async def section(db: AsyncSession, company_id: int, lead: SubmittedLead) -> SubmissionsSection:
    """Every submission of ``lead`` (newest first), as ``GET /api/v1/leads/{id}`` has them."""
    leads = SubmittedLeadRepository(db, company_id)
    rows = await leads.submissions(lead.id)
    uuids = await leads.campaign_uuids([lead.campaign_id, *(s.campaign_id for s in rows)])
    campaigns = list(await CampaignRepository(db, company_id).all())
    names = {c.uuid: f"{c.name} ({c.code})" for c in campaigns}
    details = lead_details(lead, rows, uuids)
    status = rows[0].status if rows else lead.status
    return SubmissionsSection(
        lead=lead,
        submissions=[_submission(body, names) for body in details["submissions"]],
        campaigns=[c for c in campaigns if c.status != "archived"],
        can_repost=status in REPOSTABLE,
        status=status,
    )


async def section_for(db: AsyncSession, company_id: int, lead: Lead) -> SubmissionsSection | None:
    """For a TrackDrive lead's page: the submitted lead it came from, when a campaign's
    first-submission action enrolled it (its ``leadsail_lead_id`` token), else None."""
    ref = (lead.tokens or {}).get("leadsail_lead_id")
    if not isinstance(ref, str):
        return None
    found = await SubmittedLeadRepository(db, company_id).by_uuid(ref)
    return await section(db, company_id, found) if found else None
