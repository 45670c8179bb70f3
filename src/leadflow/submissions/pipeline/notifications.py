"""What others hear about a submission: webhook events through the outbox, and pixels.

Webhooks are written in the transaction that decided the outcome (the outbox delivers them,
signed and retried). Pixels are decided in that transaction too: a fire-once pixel is marked
in ``submitted_leads.pixels_fired`` before it leaves, so it leaves at most once, and it leaves
only after the commit. Test leads fire no pixels.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import httpx

from leadflow.cadence.repository import subscribed_events
from leadflow.campaigns.config import Pixel
from leadflow.db.statements import Row, Sql
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.campaigns import Campaign
from leadflow.submissions.pipeline.delivery import UrlPolicy
from leadflow.webhooks.outbox import enqueue_event
from leadflow.webhooks.sender import RefusedUrlError, check_target

LEAD_DELIVERED = "lead.delivered"
LEAD_DISQUALIFIED = "lead.disqualified"
LEAD_FAILED = "lead.failed"
LEAD_QUEUED = "lead.queued"
LEAD_PROCESSED = "lead.processed"
PIXEL_TIMEOUT_SECONDS = 5.0

# The specific event for each outcome; every finished submission also sends lead.processed.
EVENT_FOR_STATUS = {
    "delivered": LEAD_DELIVERED,
    "disqualified": LEAD_DISQUALIFIED,
    "failed": LEAD_FAILED,
    "error": LEAD_FAILED,
    "rejected": LEAD_FAILED,
    "duplicate": LEAD_FAILED,
    "queued": LEAD_QUEUED,
}


def webhook_data(
    event: str, lead: Row, submission: Row, campaign_uuid: str | None, now: datetime
) -> dict[str, Any]:
    """The documented payload ``{event, leadId, submissionId, campaignId, status, timestamp,
    data}``; ``data`` holds what the pipeline decided."""
    return {
        "event": event,
        "leadId": lead["uuid"],
        "submissionId": submission["uuid"],
        "campaignId": campaign_uuid,
        "status": submission["status"],
        "timestamp": now.isoformat(),
        "data": {
            "submissionNumber": submission.get("number"),
            "type": submission.get("type"),
            "isTest": lead.get("is_test", False),
            "qualification": submission.get("qualification") or {},
            "routing": submission.get("routing") or {},
            "delivery": submission.get("delivery") or {},
            "reason": submission.get("reason"),
        },
    }


def announce(
    sql: Sql,
    lead: Row,
    submission: Row,
    campaign_uuid: str | None,
    now: datetime,
    subscribed: dict[int, frozenset[str]],
) -> None:
    """Queue the outcome's event, then ``lead.processed`` when the trip is over.

    ``subscribed`` caches each company's subscribed events for one transaction: most
    companies subscribe to few events, and an event nobody wants should cost nothing."""
    company_id = lead["company_id"]
    if company_id not in subscribed:
        subscribed[company_id] = subscribed_events(sql, company_id)
    status = submission["status"]
    trigger = {"campaign_id": campaign_uuid, "status": status}
    events = [EVENT_FOR_STATUS[status]] if status in EVENT_FOR_STATUS else []
    if status != "queued":
        events.append(LEAD_PROCESSED)
    for event in events:
        if event not in subscribed[company_id]:
            continue
        enqueue_event(
            sql,
            company_id=company_id,
            event=event,
            data=partial(webhook_data, event, lead, submission, campaign_uuid, now),
            trigger=trigger,
            now=now,
        )


@dataclass(frozen=True)
class PixelCall:
    url: str
    method: str
    params: dict[str, str]


def pixels_due(
    sql: Sql, lead: Row, submission: Row, campaign: Campaign, on: str, now: datetime
) -> list[PixelCall]:
    """The campaign's pixels for ``on`` (qualified or delivered) that may fire now; fire-once
    ones are marked fired in this transaction."""
    if lead.get("is_test"):
        return []
    pixels: list[Pixel] = [pixel for pixel in campaign.config.pixels if pixel.on == on]
    if not pixels:
        return []
    fired: list[str] = list(lead.get("pixels_fired") or [])
    calls: list[PixelCall] = []
    for index, pixel in enumerate(campaign.config.pixels):
        if pixel.on != on:
            continue
        mark = f"{campaign.uuid}:{index}:{on}"
        if pixel.fire_once:
            if mark in fired:
                continue
            fired.append(mark)
        params = {
            "event": on,
            "leadId": lead["uuid"],
            "submissionId": submission["uuid"],
            "campaignId": campaign.uuid,
        }
        calls.append(PixelCall(str(pixel.url), pixel.method, params))
    if fired != list(lead.get("pixels_fired") or []):
        lead["pixels_fired"] = fired
        repository.mark_pixel_fired(sql, lead["id"], fired, now)
    return calls


async def fire_pixels(http: httpx.AsyncClient, calls: list[PixelCall], policy: UrlPolicy) -> None:
    """Send after the commit; a pixel that fails is not retried (it is a conversion hint, and
    a fire-once pixel must not fire twice)."""
    await asyncio.gather(*(_fire(http, call, policy) for call in calls))


async def _fire(http: httpx.AsyncClient, call: PixelCall, policy: UrlPolicy) -> None:
    try:
        await check_target(call.url, policy.allow_private, policy.allow_loopback)
        if call.method == "GET":
            await http.get(call.url, params=call.params, timeout=PIXEL_TIMEOUT_SECONDS)
        else:
            await http.post(call.url, json=call.params, timeout=PIXEL_TIMEOUT_SECONDS)
    except (httpx.HTTPError, RefusedUrlError, OSError):
        return
