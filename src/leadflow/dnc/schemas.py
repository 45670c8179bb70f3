"""What the do-not-call API shows: the lists with their versions and ages, and a check."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ListOut(BaseModel):
    """A shared list as this process has it in force."""

    name: str
    version: int
    numbers: int
    updated_at: datetime
    age_days: int
    available: bool


class ListsOut(BaseModel):
    lists: list[ListOut]
    warning: str | None
    """Set when the federal list is missing or older than LEADFLOW_DNC_FEDERAL_MAX_AGE_DAYS."""


class HitOut(BaseModel):
    name: str
    version: int | None
    """None for the company's internal list, which has no versions."""
    unavailable: bool = False


class CheckOut(BaseModel):
    number: str
    listed: bool
    lists: list[HitOut]


class ImportOut(BaseModel):
    """An import an upload made: the list's new version and the rows it rejected, by reason."""

    list: str
    version: int
    kind: str
    rows: int
    rejected: int
    numbers: int
    rejects: dict[str, int]
