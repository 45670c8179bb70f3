"""Parsing of TrackDrive's loosely typed parameter values (booleans, integers, times)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
INVALID_TIME = "must be a valid time like 2021-07-23 14:26:43 +0000"
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M %z")


def parse_bool(value: Any) -> bool:
    """``1, true, yes, on`` / ``0, false, no, off`` as the TrackDrive docs list; else ValueError."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("must be a boolean value: 1, true, yes, on, 0, false, no, off")


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("must be an integer") from None


def parse_time(value: Any) -> datetime:
    """``2021-07-23 14:26:43 +0000`` (TrackDrive's format) or ISO 8601; returned in UTC.

    A time without an offset is read as UTC rather than refused, as publishers often omit it.
    """
    text = str(value).strip().replace("T", " ", 1) if "T" in str(value) else str(value).strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except OverflowError:  # year 1 or 9999 shifted out of range by its offset
            raise ValueError(INVALID_TIME) from None
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(INVALID_TIME) from None


def format_time(value: datetime | None) -> str | None:
    """TrackDrive's own output format, ``2016-01-01 12:25:15 +0000``."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S %z") if value else None


def iso_time(value: datetime | None) -> str | None:
    """The one time format of every TrackDrive-dialect answer and webhook: ISO 8601 in UTC
    with ``Z`` (``2026-12-05T10:10:00.123456Z``; the fraction only when there is one), exactly
    as Pydantic writes the answers built from schemas, so a record reads the same whether it
    came from ``POST``, ``GET`` or a list. A naive value is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
