from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class ScheduledCallback(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A call promised at a set time. The lead's ``schedule_callback_at`` carries it to the
    planner; this row is what the API lists and what records the call that kept it."""

    __tablename__ = "scheduled_callbacks"
    __table_args__ = (Index("ix_scheduled_callbacks_company_created", "company_id", "created_at"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    lead_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("schedules.id", ondelete="SET NULL"), default=None
    )
    to_number: Mapped[str] = mapped_column(String(20))
    place_call_at: Mapped[datetime]
    place_call_time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    # scheduled → placed (call_id set) or canceled (the lead ended first).
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    STATUSES = ("scheduled", "placed", "canceled")
    call_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("calls.id", ondelete="SET NULL"), default=None
    )
