from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TrafficSourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    user_traffic_source_id: str | None = Field(default=None, max_length=100)


class TrafficSourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    user_traffic_source_id: str | None = Field(default=None, max_length=100)


class TrafficSourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    name: str
    user_traffic_source_id: str | None
    archived_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
