"""Lead events for webhook subscriptions: the lead as the API shows it, filtered on the lead's
attribution (schedule, offer, traffic source, sub_id) and status.

Intake and the caller operations call this on their group-commit connection; the lead resource
endpoints call it on their ORM session's connection. Either way the delivery is written in the
transaction that changed the lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadflow.db.statements import Sql
from leadflow.leads.serializer import serialise_lead
from leadflow.webhooks.events import Event
from leadflow.webhooks.outbox import enqueue_event

NEW_LEAD: Event = "new_lead"
LEAD_CHANGED: Event = "lead_changed"
LEAD_OPTED_OUT: Event = "lead_opted_out"
LEAD_ENDED: Event = "lead_ended"


def lead_trigger(lead: Mapping[str, Any]) -> dict[str, Any]:
    """The facts a subscription's ``trigger_fields`` are compared with."""
    return {
        "schedule_id": lead.get("schedule_id"),
        "offer_id": lead.get("offer_id"),
        "traffic_source_id": lead.get("traffic_source_id"),
        "sub_id": lead.get("sub_id"),
        "status": lead.get("status"),
    }


def enqueue_lead_event(
    sql: Sql,
    event: str,
    lead: Mapping[str, Any],
    now: datetime,
    *,
    contact: Mapping[str, bool] | None = None,
    trackdrive_number_plain: str | None = None,
    sms_number_plain: str | None = None,
) -> int:
    """Queue ``event`` for ``lead`` (a full lead row) to every matching subscription."""

    def data() -> dict[str, Any]:
        return serialise_lead(
            lead,
            contact,
            trackdrive_number_plain=trackdrive_number_plain,
            sms_number_plain=sms_number_plain,
        )

    return enqueue_event(
        sql,
        company_id=int(lead["company_id"]),
        event=event,
        data=data,
        trigger=lambda: lead_trigger(lead),
        now=now,
    )
