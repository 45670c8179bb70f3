"""The contact (one phone number's suppression state) as the company API shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    blocked: bool
    opt_out: bool
    dnc: bool
    calls_count: int
    blocked_at: datetime | None
    opt_out_at: datetime | None
    sms_opt_out_at: datetime | None
    created_at: datetime
    updated_at: datetime


class OptInBody(BaseModel):
    """An operator's record of the consumer's own opt-in: why it may be contacted again."""

    model_config = ConfigDict(extra="forbid")

    # Checked by the endpoint after the contact is found, so another company's number is a
    # 404 whatever the body says.
    reason: str | None = Field(default=None, max_length=500)


class ContactEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    kind: str
    source: str
    reason: str | None
    created_at: datetime
