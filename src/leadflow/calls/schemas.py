"""Request and response bodies of the calls API beyond the serialised call itself."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The money columns are 32-bit integers of cents on both engines.
MAX_DOLLARS = Decimal("21474836.47")

GroupBy = Literal[
    "status",
    "created_at_day",
    "traffic_source",
    "offer",
    "schedule",
    "sub_id",
    "traffic_source,sub_id",
]
# ``cost`` is TrackDrive's name for what was paid out to publishers: the same sum as ``payout``.
Stat = Literal["count", "revenue", "payout", "profit", "cost"]


class CallUpdate(BaseModel):
    """``PUT /api/v1/calls/:id``: only the fields sent change. ``revenue`` and ``payout`` are
    dollars (``12.5`` or ``"12.50"``), kept exactly to the cent (half a cent rounds up);
    ``post_call_tokens`` is merged into the call's. A converted call (``buyer_converted`` or
    ``offer_converted`` true) ends its lead as ``completed_converted``."""

    model_config = ConfigDict(extra="ignore")

    revenue: Decimal | None = Field(
        default=None, ge=0, le=MAX_DOLLARS, allow_inf_nan=False, examples=["12.50"]
    )
    payout: Decimal | None = Field(
        default=None, ge=0, le=MAX_DOLLARS, allow_inf_nan=False, examples=["4.25"]
    )
    buyer_converted: bool | None = None
    offer_converted: bool | None = None
    post_call_tokens: dict[str, Any] | None = None


class CallEventOut(BaseModel):
    """One step of a call's history: its status changes and, for inbound calls, how the
    call was matched and routed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int
    kind: str
    data: dict[str, Any]
    created_at: datetime


class StatRow(BaseModel):
    """One group of ``GET /api/v1/calls/stats``. ``group`` is the grouped value (a status, a
    local ``YYYY-MM-DD`` day, an id or a lead's ``sub_id``; null for calls without one; for
    ``traffic_source,sub_id`` an object ``{"traffic_source": id, "sub_id": ...}``); ``name`` is
    the offer's, schedule's or traffic source's name where there is one."""

    group: str | int | dict[str, str | int | None] | None
    name: str | None = None
    calls: int = Field(description="How many calls the group holds.")
    value: float | int = Field(description="The stat: a count, or dollars.")
