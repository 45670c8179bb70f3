"""A schedule's settings beyond its actions: calling hours, end actions and dial order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadflow.schedules.actions import EndActionList

DialOrder = Literal["fifo", "lifo", "random"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def hhmm_to_minutes(value: str) -> int:
    """``"0830"`` → 510 minutes after midnight."""
    return int(value[:2]) * 60 + int(value[2:])


class DayHours(BaseModel):
    """One weekday's window as TrackDrive writes it, ``HHMM`` local; ``close`` is exclusive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    open: str = "0800"
    close: str = "2100"
    closed: bool = False

    @field_validator("open", "close", mode="before")
    @classmethod
    def _hhmm(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:04d}"
        if not isinstance(value, str):
            return value
        text = value.replace(":", "").strip()
        if len(text) != 4 or not text.isdigit():
            raise ValueError("must be a time as HHMM, such as 0800")
        hours, minutes = int(text[:2]), int(text[2:])
        if minutes > 59 or hours > 24 or (hours == 24 and minutes):
            raise ValueError("must be a time of day between 0000 and 2400")
        return text

    @model_validator(mode="after")
    def _opens_before_close(self) -> DayHours:
        if not self.closed and hhmm_to_minutes(self.open) >= hhmm_to_minutes(self.close):
            raise ValueError("open must be earlier than close")
        return self

    @property
    def minutes(self) -> tuple[int, int] | None:
        """``(open, close)`` in minutes after midnight, or ``None`` on a closed day."""
        if self.closed:
            return None
        return hhmm_to_minutes(self.open), hhmm_to_minutes(self.close)


class CallingHours(BaseModel):
    """When calls and texts may go out, per weekday, in the lead's local time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monday: DayHours = DayHours()
    tuesday: DayHours = DayHours()
    wednesday: DayHours = DayHours()
    thursday: DayHours = DayHours()
    friday: DayHours = DayHours()
    saturday: DayHours = DayHours()
    sunday: DayHours = DayHours()

    @model_validator(mode="after")
    def _some_day_open(self) -> CallingHours:
        if all(getattr(self, day).closed for day in WEEKDAYS):
            raise ValueError("at least one weekday must be open")
        return self

    def week(self) -> tuple[tuple[int, int] | None, ...]:
        """Seven windows in minutes, Monday first (Python's ``weekday()`` order)."""
        return tuple(getattr(self, day).minutes for day in WEEKDAYS)


class ScheduleConfig(BaseModel):
    """Schedule settings the planner and the dialer read, validated like the actions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calling_hours: CallingHours = CallingHours()
    end_actions: EndActionList = Field(default_factory=list)
    dial_order: DialOrder = "fifo"
    real_time_priority: int | None = Field(
        default=None,
        ge=0,
        description="Leads whose lead_priority is at or under this go first most of the time.",
    )
