"""Delivery caps and hours: when a campaign takes leads, and when a turned-away lead may try
again. Pure functions of the campaign's settings, its time zone and the clock; the counting
itself is :func:`~leadflow.submissions.pipeline.repository.reserve_cap`.

Checked lifetime, then daily (the day starts at midnight in the campaign's zone), then hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from leadflow.campaigns.config import Hours, Overflow
from leadflow.submissions.pipeline.repository import CAP_SLOT_BASE

GateKind = Literal["lifetime", "daily", "hours"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A lifetime cap only lifts when someone raises it; a queued lead looks again this often.
LIFETIME_RECHECK = timedelta(hours=1)


@dataclass(frozen=True)
class Gate:
    """Why a campaign turns a lead away now, what to do about it, and when to try again."""

    kind: GateKind
    reason: str
    action: Overflow
    retry_at: datetime


def daily_slot(time_zone: str, now: datetime) -> int:
    """The rate-window slot counting today's leads in the campaign's zone."""
    return CAP_SLOT_BASE + 1 + now.astimezone(ZoneInfo(time_zone)).date().toordinal()


def next_midnight(time_zone: str, now: datetime) -> datetime:
    zone = ZoneInfo(time_zone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), zone).astimezone(UTC)


def is_open(hours: Hours | None, time_zone: str, now: datetime) -> bool:
    """Open at ``now``: no hours configured means always; a weekday not listed is closed."""
    if hours is None:
        return True
    local = now.astimezone(ZoneInfo(time_zone))
    window = hours.days.get(WEEKDAYS[local.weekday()])  # type: ignore[call-overload]
    if window is None:
        return False
    clock = local.strftime("%H:%M")
    return bool(window.open <= clock < window.close)


def next_opening(hours: Hours, time_zone: str, now: datetime) -> datetime | None:
    """The next instant the hours open after ``now``; None when no weekday is open."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        window = hours.days.get(WEEKDAYS[day.weekday()])  # type: ignore[call-overload]
        if window is None:
            continue
        opens = datetime.combine(day, time.fromisoformat(window.open), zone)
        if opens > local:
            return opens.astimezone(UTC)
    return None


def hours_gate(hours: Hours | None, time_zone: str, now: datetime) -> Gate | None:
    if hours is None or is_open(hours, time_zone, now):
        return None
    opening = next_opening(hours, time_zone, now)
    retry_at = opening if opening is not None else now + timedelta(days=1)
    return Gate("hours", "outside the campaign's delivery hours", hours.off_hours, retry_at)
