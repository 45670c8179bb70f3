from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class CallStatus:
    """Twilio's call statuses plus ``unknown``: a worker stopped between the commit that
    decided the call and the provider's answer, so whether it rang is not known (and the call is
    never retried, so that it is never placed twice)."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    FINAL = frozenset({COMPLETED, BUSY, NO_ANSWER, FAILED, CANCELED, UNKNOWN})


class Call(IdMixin, UuidMixin, TimestampsMixin, Base):
    """An inbound or outbound call. It inherits its lead's tokens when it is placed."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_company_created", "company_id", "created_at"),
        Index("ix_calls_status_created", "status", "created_at"),
        # make_call's "dialed in the last 30 seconds" and a number's call history.
        Index("ix_calls_company_to", "company_id", "to_number", "created_at"),
    )

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    lead_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("leads.id", ondelete="SET NULL"), default=None, index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("schedules.id", ondelete="SET NULL"), default=None
    )
    direction: Mapped[str] = mapped_column(String(16), default="outbound")
    to_number: Mapped[str] = mapped_column(String(20))
    from_number: Mapped[str | None] = mapped_column(String(20), default=None)
    status: Mapped[str] = mapped_column(String(32), default=CallStatus.QUEUED)
    provider_id: Mapped[str | None] = mapped_column(String(100), default=None)
    tokens: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    # The schedule action that placed it (None for make_call and inbound calls).
    action_index: Mapped[int | None] = mapped_column(Integer, default=None)
    is_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    connect_to: Mapped[str | None] = mapped_column(String(20), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    duration: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # Attribution copied from the lead when the call is placed, so stats survive the lead.
    offer_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("offers.id", ondelete="SET NULL"), default=None
    )
    traffic_source_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("traffic_sources.id", ondelete="SET NULL"), default=None
    )
    # Money in cents: sums in stats are exact; the API speaks decimal dollars.
    revenue_cents: Mapped[int] = mapped_column(Integer, default=0)
    payout_cents: Mapped[int] = mapped_column(Integer, default=0)
    buyer_converted: Mapped[bool] = mapped_column(Boolean, default=False)
    offer_converted: Mapped[bool] = mapped_column(Boolean, default=False)
    post_call_tokens: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
