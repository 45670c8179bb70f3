from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Capability = Literal["voice", "sms"]


class NumberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(
        min_length=1,
        max_length=40,
        description="Any format; stored as E.164 (numbers without +country are read in the "
        "company's region).",
        examples=["+17193132645"],
    )
    capabilities: list[Capability] = Field(
        default_factory=lambda: list[Capability](["voice", "sms"]), min_length=1
    )


class NumberUpdate(BaseModel):
    """What a number is used for may change; the number itself is the row (delete it and add
    another to change it)."""

    model_config = ConfigDict(extra="forbid")

    capabilities: list[Capability] | None = Field(default=None, min_length=1)


class NumberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    number: str
    capabilities: list[str]
    created_at: datetime
    updated_at: datetime
