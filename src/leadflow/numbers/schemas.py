from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from leadflow.kit.phone import to_e164

Capability = Literal["voice", "sms"]


def _e164(value: str) -> str:
    return to_e164(value)


class NumberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, AfterValidator(_e164)] = Field(
        description="Any format; stored as E.164.", examples=["+17193132645"]
    )
    capabilities: list[Capability] = Field(
        default_factory=lambda: list[Capability](["voice", "sms"]), min_length=1
    )


class NumberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    number: str
    capabilities: list[str]
    created_at: datetime
    updated_at: datetime
