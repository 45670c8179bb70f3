"""A company's own settings at the boundary (the web app's Settings → Company page)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The dialer takes one slot per call from a per-second budget shared by every process; a
# figure beyond what any carrier trunk accepts only hides a typo.
MAX_CALLS_PER_SECOND = 1000


class CompanySettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_zone: str = Field(
        min_length=1,
        max_length=64,
        description="IANA zone: the web app shows times in it, and schedules without a zone "
        "of their own keep their calling hours in it.",
    )
    calls_per_second: int = Field(
        ge=1,
        le=MAX_CALLS_PER_SECOND,
        description="Most calls the company's dialer starts in one second, across every process.",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("must be an IANA time zone such as America/New_York") from None
        return value.strip()
