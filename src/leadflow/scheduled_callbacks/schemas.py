"""The scheduled callbacks API's shapes, in the TrackDrive dialect."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ScheduledCallbackCreate(BaseModel):
    """Either ``lead_id``, or ``schedule_id`` and ``to``; fields TrackDrive sends that we do
    not use are ignored, as the lead endpoints ignore them."""

    model_config = ConfigDict(extra="ignore")

    place_call_at: str | None = Field(
        default=None,
        description="When to call: 2016-01-01 12:25:15 -0500 or ISO 8601. Without an offset it "
        "is read in place_call_time_zone, else in the company's time zone.",
        examples=["2026-01-06 10:30:00 -0500"],
    )
    place_call_time_zone: str | None = Field(
        default=None, description="An IANA time zone, e.g. America/Chicago.", max_length=64
    )
    lead_id: int | str | None = Field(default=None, description="The lead's id or uuid.")
    schedule_id: int | str | None = Field(
        default=None, description="With ``to``: the schedule whose live lead to call back."
    )
    to: str | None = Field(default=None, description="The lead's number, with schedule_id.")


class ScheduledCallbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    lead_id: int
    schedule_id: int | None
    to_number: str
    place_call_at: datetime
    place_call_time_zone: str | None
    status: str
    call_id: int | None
    created_at: datetime
    updated_at: datetime
