"""What a call's outcome does beyond the call: a converted call ends its lead.

A call the buyer or the offer converted is the goal of the lead's whole schedule, so the lead
becomes ``completed_converted``, its cadence stops (no next action, its scheduled callbacks
canceled), the timeline says why, and ``lead_converted`` is queued for the subscriptions. Every
write, the webhook deliveries included, is in the request's transaction: a rolled-back update
converts nothing and announces nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadflow.calls.repository import CallRepository
from leadflow.calls.serializer import serialise_call
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.leads.records.service import lead_row, serialised_lead
from leadflow.models import Call, Lead
from leadflow.webhooks.events import Event
from leadflow.webhooks.lead_events import lead_trigger
from leadflow.webhooks.outbox import enqueue_events_in_session

LEAD_CONVERTED: Event = "lead_converted"
CALL_CHANGED: Event = "call_changed"


def converts(changes: Mapping[str, Any]) -> bool:
    """A change that says the buyer or the offer converted the call."""
    return bool(changes.get("buyer_converted")) or bool(changes.get("offer_converted"))


def call_trigger(call: Call) -> dict[str, Any]:
    """The facts a call event's subscriptions filter on."""
    return {
        "schedule_id": call.schedule_id,
        "offer_id": call.offer_id,
        "traffic_source_id": call.traffic_source_id,
        "status": call.status,
    }


async def convert_lead_of(
    calls: CallRepository, call: Call, changes: Mapping[str, Any], now: datetime
) -> Lead | None:
    """End the call's lead as converted; the lead, or None when the call has no lead or its
    lead had already converted (then nothing is announced twice)."""
    if call.lead_id is None or not await calls.convert_lead(call.lead_id, now):
        return None
    await calls.cancel_callbacks(call.lead_id, now)
    leads = LeadRecordRepository(calls.session, calls.company_id)
    lead = await calls.lead(call.lead_id, fresh=True)
    if lead is None:
        return None
    by = [name for name in ("buyer_converted", "offer_converted") if changes.get(name)]
    leads.add_event(lead, "converted", {"call_id": call.id, "by": by}, now)
    await enqueue_events_in_session(
        calls.session,
        LEAD_CONVERTED,
        [(await serialised_lead(leads, lead), lead_trigger(lead_row(lead)))],
        company_id=calls.company_id,
        now=now,
    )
    return lead


async def announce_call_changed(calls: CallRepository, call: Call, now: datetime) -> None:
    """Queue ``call_changed`` with the call as the API shows it."""
    await enqueue_events_in_session(
        calls.session,
        CALL_CHANGED,
        [(serialise_call(call), call_trigger(call))],
        company_id=calls.company_id,
        now=now,
    )
