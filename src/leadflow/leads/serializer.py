"""The serialised lead, as TrackDrive's ``lead`` serializer shows it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from leadflow.kit.values import iso_time
from leadflow.models import LeadStatus


class LeadOut(BaseModel):
    """The documented shape of a lead (for OpenAPI; the hot path builds the dict directly)."""

    id: int
    uuid: str
    caller_id: str | None
    email: str | None
    status: str
    human_status: str
    has_next_action: bool
    offer_id: int
    schedule_id: int | None
    traffic_source_id: int | None
    sub_id: str | None
    contact_field_type: str | None
    lead_priority: int | None
    next_action_at: datetime | None
    schedule_callback_at: datetime | None
    expires_at: datetime | None
    max_contact_attempts: int | None
    contact_attempts: int
    opt_out: bool
    blocked: bool
    remote_ip: str | None
    data: dict[str, Any] = Field(description="Every token the lead carries.")
    trackdrive_number_plain: str | None = None
    sms_number_plain: str | None = None
    created_at: datetime
    updated_at: datetime


_iso = iso_time


def serialise_lead(
    lead: Mapping[str, Any],
    contact: Mapping[str, bool] | None = None,
    *,
    trackdrive_number_plain: str | None = None,
    sms_number_plain: str | None = None,
) -> dict[str, Any]:
    contact = contact or {}
    status = lead["status"]
    # A new lead's times are one instant (created, updated, next action): formatted once.
    created_at = lead["created_at"]
    created = _iso(created_at)

    def time_of(value: datetime | None) -> str | None:
        return created if value is created_at else _iso(value)

    return {
        "id": lead["id"],
        "uuid": lead["uuid"],
        "caller_id": lead["caller_id"],
        "email": lead["email"],
        "status": status,
        "human_status": LeadStatus.HUMAN.get(status, status),
        "has_next_action": lead["next_action_at"] is not None and status in LeadStatus.LIVE,
        "offer_id": lead["offer_id"],
        "schedule_id": lead["schedule_id"],
        "traffic_source_id": lead["traffic_source_id"],
        "sub_id": lead["sub_id"],
        "contact_field_type": lead["contact_field_type"],
        "lead_priority": lead["lead_priority"],
        "next_action_at": time_of(lead["next_action_at"]),
        "schedule_callback_at": _iso(lead["schedule_callback_at"]),
        "expires_at": _iso(lead["expires_at"]),
        "max_contact_attempts": lead["max_contact_attempts"],
        "contact_attempts": lead["contact_attempts"],
        "opt_out": bool(contact.get("opt_out", False)) or status == LeadStatus.OPT_OUT,
        "blocked": bool(contact.get("blocked", False)) or status == LeadStatus.BLOCKED,
        "remote_ip": lead["remote_ip"],
        "data": lead["tokens"],
        "trackdrive_number_plain": trackdrive_number_plain,
        "sms_number_plain": sms_number_plain,
        "created_at": created,
        "updated_at": time_of(lead["updated_at"]),
    }
