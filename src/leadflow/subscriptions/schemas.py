"""Webhook subscriptions at the boundary: what a user may send and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from leadflow.db.repository import MAX_ID
from leadflow.webhooks.events import Event

TargetUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="Where the event is POSTed: http(s), a public host unless the operator "
        "allows private networks (LEADFLOW_ALLOW_PRIVATE_URLS).",
        examples=["https://hooks.example.com/leadflow"],
    ),
]


class TriggerFields(BaseModel):
    """Filters: the event is sent only when every given field equals the event's own value."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    schedule_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    traffic_source_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    offer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    buyer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: str | None = Field(default=None, min_length=1, max_length=64)
    sub_id: str | None = Field(default=None, min_length=1, max_length=200)
    # Submission events: the campaign's id (uuid) as the API shows it.
    campaign_id: str | None = Field(default=None, min_length=1, max_length=64)


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_url: TargetUrl
    event: Event
    trigger_fields: TriggerFields = Field(default_factory=TriggerFields)
    active: bool = True


class SubscriptionUpdate(BaseModel):
    """Only the fields sent change; ``trigger_fields`` is replaced as a whole."""

    model_config = ConfigDict(extra="forbid")

    target_url: TargetUrl | None = None
    event: Event | None = None
    trigger_fields: TriggerFields | None = None
    active: bool | None = None


class SubscriptionOut(BaseModel):
    """A subscription as listed and shown: the signing secret is never repeated."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    target_url: str
    event: str
    trigger_fields: dict[str, int | str]
    active: bool
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(
        description="HMAC-SHA256 key for the signature header of each delivery. Shown only "
        "in this answer: store it now."
    )
