from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin

CONTACT_CALLER = "contact_caller"
LEAD_DISTRIBUTION = "lead_distribution"
SCHEDULE_TYPES = (CONTACT_CALLER, LEAD_DISTRIBUTION)


class Schedule(IdMixin, UuidMixin, TimestampsMixin, Base):
    """Works each enrolled lead through an ordered list of actions."""

    __tablename__ = "schedules"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    sortable_order: Mapped[int] = mapped_column(Integer, default=0)
    lead_duplicate_timeframe: Mapped[int] = mapped_column(Integer, default=0)
    schedule_type: Mapped[str] = mapped_column(String(32), default=CONTACT_CALLER)
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    # Shown in the UI, so kept as it is; it only enrols leads, it reads nothing.
    leads_api_key: Mapped[str] = mapped_column(String(64), unique=True)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDict, default=list)
    # Per weekday {"open": "0800", "close": "2100"} or {"closed": true}; {} = the defaults.
    calling_hours: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    end_actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDict, default=list)
    dial_order: Mapped[str] = mapped_column(String(8), default="fifo")
    real_time_priority: Mapped[int | None] = mapped_column(Integer, default=None)
    # Which do-not-call lists apply and the exemptions (leadflow.dnc.policy); {} = defaults.
    dnc_settings: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
