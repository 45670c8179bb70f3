from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

DESTINATION = (
    "Where the offer's calls are connected: inbound calls are forwarded here and make_call"
    " connects to it. Stored as E.164 (read in the company's region); empty or null clears it."
)


class OfferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    destination_number: str | None = Field(default=None, max_length=40, description=DESTINATION)


class OfferUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    destination_number: str | None = Field(default=None, max_length=40, description=DESTINATION)


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    name: str
    description: str
    leads_api_key: str
    destination_number: str | None = None
    created_at: datetime
    updated_at: datetime
