from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict, UTCDateTime
from leadflow.models.base import Base, BigIntId, IdMixin


class LeadEvent(IdMixin, Base):
    """One entry of a lead's timeline. Written in the same transaction as the change."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_lead", "lead_id", "id"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    lead_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
