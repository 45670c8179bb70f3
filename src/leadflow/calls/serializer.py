"""The serialised call, as make_call answers it and the calls API lists it.

Money is stored in cents and shown in dollars with two decimals; ``in_progress`` is derived
from the status, so a script need not know which statuses are final.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, Field

from leadflow.kit.values import iso_time
from leadflow.models import Call, CallStatus


class CallOut(BaseModel):
    id: int
    uuid: str
    direction: str = Field(description="outbound or inbound")
    status: str = Field(description="queued, initiated, ringing, in-progress, completed, ...")
    in_progress: bool
    to: str
    caller_number: str | None = Field(description="The number the call comes from.")
    lead_id: int | None
    schedule_id: int | None
    offer_id: int | None
    traffic_source_id: int | None
    provider_id: str | None
    connect_to: str | None
    is_callback: bool
    answered_at: datetime | None
    ended_at: datetime | None
    duration: int | None = Field(description="Seconds, once the call has ended.")
    error: str | None
    revenue: float
    payout: float
    profit: float
    buyer_converted: bool
    offer_converted: bool
    data: dict[str, Any] = Field(description="The tokens the call inherited from its lead.")
    post_call_tokens: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def dollars(cents: int) -> float:
    return round(cents / 100, 2)


def cents(dollars_value: float | int | str) -> int:
    """``12.5`` or ``"12.50"`` → 1250, rounded half away from zero to the cent."""
    return int((Decimal(str(dollars_value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_iso = iso_time


def serialise_call(call: Call) -> dict[str, Any]:
    return {
        "id": call.id,
        "uuid": call.uuid,
        "direction": call.direction,
        "status": call.status,
        "in_progress": call.status not in CallStatus.FINAL,
        "to": call.to_number,
        "caller_number": call.from_number,
        "lead_id": call.lead_id,
        "schedule_id": call.schedule_id,
        "offer_id": call.offer_id,
        "traffic_source_id": call.traffic_source_id,
        "provider_id": call.provider_id,
        "connect_to": call.connect_to,
        "is_callback": call.is_callback,
        "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at),
        "duration": call.duration,
        "error": call.error,
        "revenue": dollars(call.revenue_cents),
        "payout": dollars(call.payout_cents),
        "profit": dollars(call.revenue_cents - call.payout_cents),
        "buyer_converted": call.buyer_converted,
        "offer_converted": call.offer_converted,
        "data": call.tokens,
        "post_call_tokens": call.post_call_tokens,
        "created_at": _iso(call.created_at),
        "updated_at": _iso(call.updated_at),
    }
