"""Request and response bodies of the lead resource endpoints beyond the listed shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from leadflow.leads.serializer import LeadOut


class LeadEventOut(BaseModel):
    """One entry of a lead's timeline."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    data: dict[str, Any]
    created_at: datetime


class LeadDetail(LeadOut):
    """A single lead with its timeline, oldest event first."""

    events: list[LeadEventOut]


class LeadUpdate(BaseModel):
    """``PUT /api/v1/leads/:id_or_uuid``: only the fields sent are changed. Times take
    TrackDrive's ``2016-01-01 12:25:15 -0500`` (or ISO 8601); ``data`` is merged into the
    lead's tokens. Other fields are ignored, as TrackDrive does."""

    caller_id: str | None = Field(default=None, max_length=40)
    blocked: bool | None = None
    opt_out: bool | None = None
    email: EmailStr | None = None
    traffic_source_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    next_action_at: str | None = Field(default=None, max_length=64)
    schedule_callback_at: str | None = Field(default=None, max_length=64)
    contact_field_type: str | None = Field(default=None, max_length=100)
    data: dict[str, Any] | None = None
