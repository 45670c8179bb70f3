from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadflow.dnc.policy import ScheduleDnc
from leadflow.schedules.actions import ActionList, EndActionList
from leadflow.schedules.config import CallingHours, DialOrder

ScheduleType = Literal["contact_caller", "lead_distribution"]


def _valid_zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("must be an IANA time zone such as America/New_York") from None
    return value


class ScheduleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=10_000)
    paused: bool | None = None
    sortable_order: int | None = Field(default=None, ge=-2_147_483_648, le=2_147_483_647)
    lead_duplicate_timeframe: int | None = Field(
        default=None,
        ge=0,
        le=2_147_483_647,
        description="Seconds; a repeat caller inside it updates the live lead.",
    )
    schedule_type: ScheduleType | None = None
    time_zone: str | None = Field(
        default=None,
        description="IANA zone for the calling hours of leads whose phone number and "
        "time_zone token reveal no zone of their own (a toll-free number, no number).",
    )
    actions: ActionList | None = Field(
        default=None, description="The ordered actions each lead is worked through."
    )
    calling_hours: CallingHours | None = Field(
        default=None,
        description="Per weekday open/close (HHMM) in the lead's local time: the zone of the "
        "lead's phone number (area code, or a country with one clock) or its time_zone token; "
        "the schedule's time_zone only when neither reveals one. Narrowed by the law (08:00 to "
        "21:00 in the US, less in some states); make_call refuses outside them "
        "(outside_calling_hours).",
    )
    end_actions: EndActionList | None = Field(
        default=None, description="Run once when a lead ends for any reason."
    )
    dial_order: DialOrder | None = None
    real_time_priority: int | None = Field(
        default=None,
        ge=0,
        le=2_147_483_647,
        description="Leads whose lead_priority is at or under this go first most of the time.",
    )
    dnc_settings: ScheduleDnc | None = Field(
        default=None,
        description="Which do-not-call lists apply to this schedule's leads and which "
        "exemptions it grants (docs/dnc.md). By default every list applies, no exemption.",
    )

    _zone = field_validator("time_zone")(_valid_zone)


class ScheduleCreate(ScheduleFields):
    name: str = Field(min_length=1, max_length=200)
    offer_id: int


class ScheduleUpdate(ScheduleFields):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    offer_id: int | None = None


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    name: str
    offer_id: int
    description: str
    paused: bool
    sortable_order: int
    lead_duplicate_timeframe: int
    schedule_type: str
    time_zone: str
    leads_api_key: str
    actions: ActionList
    calling_hours: CallingHours
    end_actions: EndActionList
    dial_order: str
    real_time_priority: int | None
    dnc_settings: ScheduleDnc
    created_at: datetime
    updated_at: datetime
